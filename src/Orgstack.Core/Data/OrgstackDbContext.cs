using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Orgstack.Core.Accounts;
using Orgstack.Core.Audit;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Security;
using Orgstack.Core.Sso;
using Orgstack.Core.Stacks;
using static Orgstack.Core.Data.Naming;

namespace Orgstack.Core.Data;

public sealed class OrgstackDbContext(DbContextOptions<OrgstackDbContext> options) : DbContext(options)
{
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<Membership> Memberships => Set<Membership>();
    public DbSet<User> Users => Set<User>();
    public DbSet<Session> Sessions => Set<Session>();
    public DbSet<ActionToken> ActionTokens => Set<ActionToken>();
    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();
    public DbSet<OwnershipTransfer> OwnershipTransfers => Set<OwnershipTransfer>();
    public DbSet<Stack> Stacks => Set<Stack>();
    public DbSet<StackRole> StackRoles => Set<StackRole>();
    public DbSet<StackRoleAssignment> StackRoleAssignments => Set<StackRoleAssignment>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<RateLimitCounter> RateLimitCounters => Set<RateLimitCounter>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<SsoConfiguration> SsoConfigurations => Set<SsoConfiguration>();
    public DbSet<ExternalIdentity> ExternalIdentities => Set<ExternalIdentity>();
    public DbSet<SamlAssertionUse> SamlAssertionUses => Set<SamlAssertionUse>();
    public DbSet<SsoLoginRequest> SsoLoginRequests => Set<SsoLoginRequest>();

    // Kept once known: a pooled context keeps its options, and with them its provider, for its whole life.
    private bool? isSqlite;

    public bool IsSqlite => isSqlite ??= Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // SQLite cannot order or compare DateTimeOffset; store UTC Unix milliseconds there. PostgreSQL keeps timestamptz.
        if (Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite")
        {
            builder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
        }
        else
        {
            // Npgsql writes timestamptz only from offset 0: normalise every value (and query parameter) to UTC.
            builder.Properties<DateTimeOffset>().HaveConversion<UtcConverter>();
        }
        builder.Properties<string>().HaveMaxLength(512);
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Organization>(e =>
        {
            e.ToTable("organizations");
            e.HasKey(x => x.Uid);
            e.Property(x => x.Uid).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.BillingAddress).HasMaxLength(1000);
        });

        model.Entity<User>(e =>
        {
            e.ToTable("users");
            e.HasKey(x => x.Uid);
            e.Property(x => x.Uid).HasMaxLength(64);
            e.Property(x => x.Email).HasMaxLength(254);
            e.HasIndex(x => x.Email).IsUnique();
            e.Ignore(x => x.DisplayName);
        });

        model.Entity<Membership>(e =>
        {
            e.ToTable("memberships");
            e.HasKey(x => x.Uid);
            e.Property(x => x.Uid).HasMaxLength(64);
            e.Property(x => x.OrganizationUid).HasMaxLength(64);
            e.Property(x => x.UserUid).HasMaxLength(64);
            e.Property(x => x.Email).HasMaxLength(254);
            e.Property(x => x.Message).HasMaxLength(2000);
            e.Property(x => x.Role).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Ignore(x => x.IsOwner);
            e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationUid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserUid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.OrganizationUid, x.Email }).IsUnique();
            e.HasIndex(x => new { x.OrganizationUid, x.UserUid }).IsUnique().HasFilter("user_uid IS NOT NULL");
            // Exactly one Owner per organization, enforced by the database on every path.
            e.HasIndex(x => x.OrganizationUid).IsUnique().HasFilter("role = 'Owner'").HasDatabaseName("ux_memberships_one_owner");
            // The Users list (UsersPageQuery): one index per order, each a keyset on (key, uid). The searched and filtered
            // columns (email, sort_name, role, status) ride along at the end, so a search or filter is checked inside
            // whichever index the order walks, without reading table rows; the role and status indexes serve those
            // sorts, filters and counts as index ranges.
            e.HasIndex(x => new { x.OrganizationUid, x.LastLoginAt, x.Uid, x.Email, x.SortName, x.Role, x.Status }).HasDatabaseName("ix_memberships_users_by_login");
            e.HasIndex(x => new { x.OrganizationUid, x.SortName, x.Uid, x.Email, x.Role, x.Status }).HasDatabaseName("ix_memberships_users_by_name");
            e.HasIndex(x => new { x.OrganizationUid, x.Email, x.Uid, x.SortName, x.Role, x.Status }).HasDatabaseName("ix_memberships_users_by_email");
            e.HasIndex(x => new { x.OrganizationUid, x.Role, x.SortName, x.Uid, x.Email, x.Status }).HasDatabaseName("ix_memberships_users_by_role");
            e.HasIndex(x => new { x.OrganizationUid, x.Status, x.SortName, x.Uid, x.Email, x.Role }).HasDatabaseName("ix_memberships_users_by_status");
            e.HasIndex(x => x.UserUid);
        });

        model.Entity<Session>(e =>
        {
            e.ToTable("sessions");
            e.HasKey(x => x.TokenHash);
            e.Property(x => x.TokenHash).HasMaxLength(64);
            e.HasIndex(x => x.Uid).IsUnique();
            e.HasIndex(x => x.UserUid);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserUid).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<ActionToken>(e =>
        {
            e.ToTable("action_tokens");
            e.HasKey(x => x.TokenHash);
            e.Property(x => x.TokenHash).HasMaxLength(64);
            e.Property(x => x.Purpose).HasConversion<string>().HasMaxLength(32);
            e.HasIndex(x => x.Uid).IsUnique();
            e.HasIndex(x => new { x.Purpose, x.SubjectUid });
            e.HasIndex(x => new { x.Purpose, x.UserUid });
        });

        model.Entity<RecoveryCode>(e =>
        {
            e.ToTable("recovery_codes");
            e.HasKey(x => x.Uid);
            e.HasIndex(x => x.UserUid);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserUid).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<OwnershipTransfer>(e =>
        {
            e.ToTable("ownership_transfers");
            e.HasKey(x => x.Uid);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.ToEmail).HasMaxLength(254);
            e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationUid).OnDelete(DeleteBehavior.Cascade);
            // One pending transfer per organization at a time.
            e.HasIndex(x => x.OrganizationUid).IsUnique().HasFilter("status = 'Pending'").HasDatabaseName("ux_ownership_transfers_one_pending");
        });

        model.Entity<Stack>(e =>
        {
            e.ToTable("stacks");
            e.HasKey(x => x.Uid);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Description).HasMaxLength(2000);
            e.HasIndex(x => x.ApiKey).IsUnique();
            e.HasIndex(x => new { x.OrganizationUid, x.Name });
            e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationUid).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<StackRole>(e =>
        {
            e.ToTable("stack_roles");
            e.HasKey(x => x.Uid);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Description).HasMaxLength(2000);
            e.Property(x => x.RulesJson).HasMaxLength(100_000);
            e.HasIndex(x => new { x.StackUid, x.Name }).IsUnique();
            e.HasOne<Stack>().WithMany().HasForeignKey(x => x.StackUid).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<StackRoleAssignment>(e =>
        {
            e.ToTable("stack_role_assignments");
            e.HasKey(x => new { x.StackUid, x.MembershipUid, x.RoleUid });
            e.HasIndex(x => x.MembershipUid);
            e.HasIndex(x => x.RoleUid);
            e.HasOne<Stack>().WithMany().HasForeignKey(x => x.StackUid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Membership>().WithMany().HasForeignKey(x => x.MembershipUid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<StackRole>().WithMany().HasForeignKey(x => x.RoleUid).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<AuditEvent>(e =>
        {
            e.ToTable("audit_events");
            e.HasKey(x => x.Uid);
            e.Property(x => x.MetadataJson).HasMaxLength(100_000);
            e.HasIndex(x => new { x.OrganizationUid, x.CreatedAt });
        });

        model.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox_messages");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.TextBody).HasMaxLength(100_000);
            e.Property(x => x.HtmlBody).HasMaxLength(200_000);
            e.Property(x => x.LastError).HasMaxLength(4000);
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
        });

        model.Entity<RateLimitCounter>(e =>
        {
            e.ToTable("rate_limit_counters");
            e.HasKey(x => x.Key);
        });

        model.Entity<DataProtectionKey>(e =>
        {
            e.ToTable("data_protection_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.Xml).HasMaxLength(100_000);
        });

        model.Entity<SsoConfiguration>(e =>
        {
            e.ToTable("sso_configurations");
            e.HasKey(x => x.OrganizationUid);
            e.Property(x => x.OrganizationUid).HasMaxLength(64);
            e.Property(x => x.Protocol).HasConversion<string>().HasMaxLength(8);
            e.Property(x => x.SamlIdpCertificates).HasMaxLength(40_000);
            e.Property(x => x.OidcClientSecret).HasMaxLength(4000);
            e.Property(x => x.SamlIdpMetadataUrl).HasMaxLength(500);
            e.Property(x => x.JitDomains).HasMaxLength(4000);
            e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationUid).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<ExternalIdentity>(e =>
        {
            e.ToTable("external_identities");
            e.HasKey(x => x.Uid);
            e.Property(x => x.Uid).HasMaxLength(64);
            e.Property(x => x.OrganizationUid).HasMaxLength(64);
            e.Property(x => x.UserUid).HasMaxLength(64);
            e.HasIndex(x => new { x.OrganizationUid, x.Issuer, x.Subject }).IsUnique();
            e.HasIndex(x => new { x.OrganizationUid, x.UserUid }).IsUnique();
            e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationUid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserUid).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<SamlAssertionUse>(e =>
        {
            e.ToTable("saml_assertion_uses");
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasMaxLength(64);
            e.HasIndex(x => x.ExpiresAt);
        });

        model.Entity<SsoLoginRequest>(e =>
        {
            e.ToTable("sso_login_requests");
            e.HasKey(x => x.RequestHash);
            e.Property(x => x.RequestHash).HasMaxLength(64);
            e.Property(x => x.BrowserHash).HasMaxLength(64);
            e.Property(x => x.OrganizationUid).HasMaxLength(64);
            e.Property(x => x.Protocol).HasConversion<string>().HasMaxLength(8);
            e.Property(x => x.PkceVerifier).HasMaxLength(2000);
            e.HasIndex(x => x.ExpiresAt);
            e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationUid).OnDelete(DeleteBehavior.Cascade);
        });

        // Columns in snake_case: one spelling for both databases and for hand-written SQL.
        foreach (var entity in model.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
                property.SetColumnName(SnakeCase(property.Name));
    }
}

internal static class Naming
{
    public static string SnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0) builder.Append('_');
                builder.Append(char.ToLowerInvariant(c));
            }
            else builder.Append(c);
        }
        return builder.ToString();
    }
}

/// <summary>The same instant at offset 0 (PostgreSQL timestamptz accepts only UTC offsets).</summary>
public sealed class UtcConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(
    v => v.ToUniversalTime(),
    v => v.ToUniversalTime());

/// <summary>UTC Unix milliseconds: sortable and comparable in SQLite.</summary>
public sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.ToUnixTimeMilliseconds(),
    v => DateTimeOffset.FromUnixTimeMilliseconds(v));
