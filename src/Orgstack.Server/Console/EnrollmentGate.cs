namespace Orgstack.Server.Console;

/// <summary>
/// Marks a console page a user whose MFA was reset may still open (the enrolment page); every other page that needs a
/// session sends them there first, as the API refuses everything but the enrolment endpoints.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class AllowedWhileEnrollingMfaAttribute : Attribute;
