using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orgstack.Core.Accounts;
using Orgstack.Core.Data;
using Orgstack.Core.Security;
using Orgstack.Server.Api;
using Orgstack.Server.Auth;
using Orgstack.Server.Hosting;

namespace Orgstack.Server.Security;

/// <summary>
/// Account security plumbing: ASP.NET Data Protection with its key ring in the database (every node decrypts the
/// TOTP secrets the others wrote), and the gate that keeps a user whose MFA was reset on the enrolment endpoints.
/// </summary>
public sealed class AccountSecurityModule : IServerModule
{
    public void AddServices(WebApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName("Orgstack");
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new DatabaseXmlRepository(services.GetRequiredService<IServiceScopeFactory>())));
    }

    public void UseMiddleware(WebApplication app) => app.Use(async (context, next) =>
    {
        if (context.SignedInUser() is { MustEnrollMfa: true } && !AllowedWhileEnrolling(context.Request))
        {
            await ApiResults.Error(TwoFactorErrors.Mandatory).ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    private static bool AllowedWhileEnrolling(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        return path.StartsWith("/v3/user/two_factor", StringComparison.OrdinalIgnoreCase)
            || (path.Equals("/v3/user", StringComparison.OrdinalIgnoreCase) && HttpMethods.IsGet(request.Method))
            || path.Equals("/v3/user-session", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The Data Protection key ring in the data_protection_keys table.</summary>
public sealed class DatabaseXmlRepository(IServiceScopeFactory scopes) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        return db.DataProtectionKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => k.Xml).ToList().Select(XElement.Parse).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}
