CREATE TABLE "action_tokens" (
    "token_hash" TEXT NOT NULL CONSTRAINT "PK_action_tokens" PRIMARY KEY,
    "uid" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "user_uid" TEXT NULL,
    "organization_uid" TEXT NULL,
    "email" TEXT NULL,
    "subject_uid" TEXT NULL,
    "created_at" INTEGER NOT NULL,
    "expires_at" INTEGER NOT NULL,
    "used_at" INTEGER NULL,
    "revoked_at" INTEGER NULL
);


CREATE TABLE "audit_events" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_audit_events" PRIMARY KEY,
    "organization_uid" TEXT NULL,
    "actor_user_uid" TEXT NULL,
    "actor_email" TEXT NULL,
    "module" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "target_type" TEXT NULL,
    "target_uid" TEXT NULL,
    "target_label" TEXT NULL,
    "metadata_json" TEXT NOT NULL,
    "remote_address" TEXT NULL,
    "request_id" TEXT NULL,
    "created_at" INTEGER NOT NULL
);


CREATE TABLE "data_protection_keys" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_data_protection_keys" PRIMARY KEY AUTOINCREMENT,
    "friendly_name" TEXT NULL,
    "xml" TEXT NOT NULL
);


CREATE TABLE "organizations" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_organizations" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "enabled" INTEGER NOT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "plan_id" TEXT NOT NULL,
    "plan_name" TEXT NOT NULL,
    "max_users" INTEGER NOT NULL,
    "max_stacks" INTEGER NOT NULL,
    "plan_expires_at" INTEGER NULL,
    "billing_email" TEXT NULL,
    "billing_address" TEXT NULL,
    "billing_payment_method" TEXT NULL
);


CREATE TABLE "outbox_messages" (
    "id" INTEGER NOT NULL CONSTRAINT "PK_outbox_messages" PRIMARY KEY AUTOINCREMENT,
    "to_address" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text_body" TEXT NOT NULL,
    "html_body" TEXT NULL,
    "kind" TEXT NOT NULL,
    "organization_uid" TEXT NULL,
    "created_at" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "next_attempt_at" INTEGER NOT NULL,
    "locked_until" INTEGER NULL,
    "locked_by" TEXT NULL,
    "sent_at" INTEGER NULL,
    "last_error" TEXT NULL
);


CREATE TABLE "rate_limit_counters" (
    "key" TEXT NOT NULL CONSTRAINT "PK_rate_limit_counters" PRIMARY KEY,
    "window_start" INTEGER NOT NULL,
    "count" INTEGER NOT NULL
);


CREATE TABLE "saml_assertion_uses" (
    "key" TEXT NOT NULL CONSTRAINT "PK_saml_assertion_uses" PRIMARY KEY,
    "expires_at" INTEGER NOT NULL
);


CREATE TABLE "users" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_users" PRIMARY KEY,
    "email" TEXT NOT NULL,
    "first_name" TEXT NOT NULL,
    "last_name" TEXT NOT NULL,
    "company" TEXT NOT NULL,
    "password_hash" TEXT NULL,
    "active" INTEGER NOT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "last_login_at" INTEGER NULL,
    "failed_attempts" INTEGER NOT NULL,
    "locked_at" INTEGER NULL,
    "must_change_password" INTEGER NOT NULL,
    "totp_secret" TEXT NULL,
    "totp_enabled" INTEGER NOT NULL,
    "totp_last_step" INTEGER NULL,
    "must_enroll_mfa" INTEGER NOT NULL
);


CREATE TABLE "ownership_transfers" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_ownership_transfers" PRIMARY KEY,
    "organization_uid" TEXT NOT NULL,
    "from_user_uid" TEXT NOT NULL,
    "to_email" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "expires_at" INTEGER NOT NULL,
    "completed_at" INTEGER NULL,
    CONSTRAINT "FK_ownership_transfers_organizations_organization_uid" FOREIGN KEY ("organization_uid") REFERENCES "organizations" ("uid") ON DELETE CASCADE
);


CREATE TABLE "sso_configurations" (
    "organization_uid" TEXT NOT NULL CONSTRAINT "PK_sso_configurations" PRIMARY KEY,
    "protocol" TEXT NOT NULL,
    "enabled" INTEGER NOT NULL,
    "strict" INTEGER NOT NULL,
    "tested_at" INTEGER NULL,
    "saml_idp_entity_id" TEXT NULL,
    "saml_idp_sso_url" TEXT NULL,
    "saml_idp_certificates" TEXT NULL,
    "oidc_issuer" TEXT NULL,
    "oidc_client_id" TEXT NULL,
    "oidc_client_secret" TEXT NULL,
    "oidc_scopes" TEXT NOT NULL,
    "saml_idp_metadata_url" TEXT NULL,
    "jit_enabled" INTEGER NOT NULL,
    "jit_domains" TEXT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    CONSTRAINT "FK_sso_configurations_organizations_organization_uid" FOREIGN KEY ("organization_uid") REFERENCES "organizations" ("uid") ON DELETE CASCADE
);


CREATE TABLE "sso_login_requests" (
    "request_hash" TEXT NOT NULL CONSTRAINT "PK_sso_login_requests" PRIMARY KEY,
    "organization_uid" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "browser_hash" TEXT NOT NULL,
    "nonce" TEXT NULL,
    "pkce_verifier" TEXT NULL,
    "created_at" INTEGER NOT NULL,
    "expires_at" INTEGER NOT NULL,
    "used_at" INTEGER NULL,
    CONSTRAINT "FK_sso_login_requests_organizations_organization_uid" FOREIGN KEY ("organization_uid") REFERENCES "organizations" ("uid") ON DELETE CASCADE
);


CREATE TABLE "stacks" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_stacks" PRIMARY KEY,
    "api_key" TEXT NOT NULL,
    "organization_uid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "master_locale" TEXT NOT NULL,
    "owner_user_uid" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    CONSTRAINT "FK_stacks_organizations_organization_uid" FOREIGN KEY ("organization_uid") REFERENCES "organizations" ("uid") ON DELETE CASCADE
);


CREATE TABLE "external_identities" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_external_identities" PRIMARY KEY,
    "organization_uid" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "user_uid" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    CONSTRAINT "FK_external_identities_organizations_organization_uid" FOREIGN KEY ("organization_uid") REFERENCES "organizations" ("uid") ON DELETE CASCADE,
    CONSTRAINT "FK_external_identities_users_user_uid" FOREIGN KEY ("user_uid") REFERENCES "users" ("uid") ON DELETE CASCADE
);


CREATE TABLE "memberships" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_memberships" PRIMARY KEY,
    "organization_uid" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "user_uid" TEXT NULL,
    "role" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "invited_by_user_uid" TEXT NULL,
    "message" TEXT NULL,
    "invited_at" INTEGER NOT NULL,
    "invitation_expires_at" INTEGER NULL,
    "accepted_at" INTEGER NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    "access_without_sso" INTEGER NOT NULL,
    "first_name" TEXT NOT NULL,
    "last_name" TEXT NOT NULL,
    "sort_name" TEXT NOT NULL,
    "last_login_at" INTEGER NULL,
    CONSTRAINT "FK_memberships_organizations_organization_uid" FOREIGN KEY ("organization_uid") REFERENCES "organizations" ("uid") ON DELETE CASCADE,
    CONSTRAINT "FK_memberships_users_user_uid" FOREIGN KEY ("user_uid") REFERENCES "users" ("uid") ON DELETE CASCADE
);


CREATE TABLE "recovery_codes" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_recovery_codes" PRIMARY KEY,
    "user_uid" TEXT NOT NULL,
    "code_hash" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "used_at" INTEGER NULL,
    CONSTRAINT "FK_recovery_codes_users_user_uid" FOREIGN KEY ("user_uid") REFERENCES "users" ("uid") ON DELETE CASCADE
);


CREATE TABLE "sessions" (
    "token_hash" TEXT NOT NULL CONSTRAINT "PK_sessions" PRIMARY KEY,
    "uid" TEXT NOT NULL,
    "user_uid" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "last_seen_at" INTEGER NOT NULL,
    "expires_at" INTEGER NOT NULL,
    "revoked_at" INTEGER NULL,
    "method" TEXT NOT NULL,
    "sso_organization_uid" TEXT NULL,
    "remote_address" TEXT NULL,
    "user_agent" TEXT NULL,
    CONSTRAINT "FK_sessions_users_user_uid" FOREIGN KEY ("user_uid") REFERENCES "users" ("uid") ON DELETE CASCADE
);


CREATE TABLE "stack_roles" (
    "uid" TEXT NOT NULL CONSTRAINT "PK_stack_roles" PRIMARY KEY,
    "stack_uid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "built_in" INTEGER NOT NULL,
    "rules_json" TEXT NOT NULL,
    "created_by_user_uid" TEXT NULL,
    "updated_by_user_uid" TEXT NULL,
    "created_at" INTEGER NOT NULL,
    "updated_at" INTEGER NOT NULL,
    CONSTRAINT "FK_stack_roles_stacks_stack_uid" FOREIGN KEY ("stack_uid") REFERENCES "stacks" ("uid") ON DELETE CASCADE
);


CREATE TABLE "stack_role_assignments" (
    "stack_uid" TEXT NOT NULL,
    "membership_uid" TEXT NOT NULL,
    "role_uid" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    CONSTRAINT "PK_stack_role_assignments" PRIMARY KEY ("stack_uid", "membership_uid", "role_uid"),
    CONSTRAINT "FK_stack_role_assignments_memberships_membership_uid" FOREIGN KEY ("membership_uid") REFERENCES "memberships" ("uid") ON DELETE CASCADE,
    CONSTRAINT "FK_stack_role_assignments_stack_roles_role_uid" FOREIGN KEY ("role_uid") REFERENCES "stack_roles" ("uid") ON DELETE CASCADE,
    CONSTRAINT "FK_stack_role_assignments_stacks_stack_uid" FOREIGN KEY ("stack_uid") REFERENCES "stacks" ("uid") ON DELETE CASCADE
);


CREATE INDEX "IX_action_tokens_purpose_subject_uid" ON "action_tokens" ("purpose", "subject_uid");


CREATE INDEX "IX_action_tokens_purpose_user_uid" ON "action_tokens" ("purpose", "user_uid");


CREATE UNIQUE INDEX "IX_action_tokens_uid" ON "action_tokens" ("uid");


CREATE INDEX "IX_audit_events_organization_uid_created_at" ON "audit_events" ("organization_uid", "created_at");


CREATE UNIQUE INDEX "IX_external_identities_organization_uid_issuer_subject" ON "external_identities" ("organization_uid", "issuer", "subject");


CREATE UNIQUE INDEX "IX_external_identities_organization_uid_user_uid" ON "external_identities" ("organization_uid", "user_uid");


CREATE INDEX "IX_external_identities_user_uid" ON "external_identities" ("user_uid");


CREATE UNIQUE INDEX "IX_memberships_organization_uid_email" ON "memberships" ("organization_uid", "email");


CREATE UNIQUE INDEX "IX_memberships_organization_uid_user_uid" ON "memberships" ("organization_uid", "user_uid") WHERE user_uid IS NOT NULL;


CREATE INDEX "IX_memberships_user_uid" ON "memberships" ("user_uid");


CREATE INDEX "ix_memberships_users_by_email" ON "memberships" ("organization_uid", "email", "uid", "sort_name", "role", "status");


CREATE INDEX "ix_memberships_users_by_login" ON "memberships" ("organization_uid", "last_login_at", "uid", "email", "sort_name", "role", "status");


CREATE INDEX "ix_memberships_users_by_name" ON "memberships" ("organization_uid", "sort_name", "uid", "email", "role", "status");


CREATE INDEX "ix_memberships_users_by_role" ON "memberships" ("organization_uid", "role", "sort_name", "uid", "email", "status");


CREATE INDEX "ix_memberships_users_by_status" ON "memberships" ("organization_uid", "status", "sort_name", "uid", "email", "role");


CREATE UNIQUE INDEX "ux_memberships_one_owner" ON "memberships" ("organization_uid") WHERE role = 'Owner';


CREATE INDEX "IX_outbox_messages_status_next_attempt_at" ON "outbox_messages" ("status", "next_attempt_at");


CREATE UNIQUE INDEX "ux_ownership_transfers_one_pending" ON "ownership_transfers" ("organization_uid") WHERE status = 'Pending';


CREATE INDEX "IX_recovery_codes_user_uid" ON "recovery_codes" ("user_uid");


CREATE INDEX "IX_saml_assertion_uses_expires_at" ON "saml_assertion_uses" ("expires_at");


CREATE UNIQUE INDEX "IX_sessions_uid" ON "sessions" ("uid");


CREATE INDEX "IX_sessions_user_uid" ON "sessions" ("user_uid");


CREATE INDEX "IX_sso_login_requests_expires_at" ON "sso_login_requests" ("expires_at");


CREATE INDEX "IX_sso_login_requests_organization_uid" ON "sso_login_requests" ("organization_uid");


CREATE INDEX "IX_stack_role_assignments_membership_uid" ON "stack_role_assignments" ("membership_uid");


CREATE INDEX "IX_stack_role_assignments_role_uid" ON "stack_role_assignments" ("role_uid");


CREATE UNIQUE INDEX "IX_stack_roles_stack_uid_name" ON "stack_roles" ("stack_uid", "name");


CREATE UNIQUE INDEX "IX_stacks_api_key" ON "stacks" ("api_key");


CREATE INDEX "IX_stacks_organization_uid_name" ON "stacks" ("organization_uid", "name");


CREATE UNIQUE INDEX "IX_users_email" ON "users" ("email");


