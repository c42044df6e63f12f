using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orgstack.Core.Data;
using Orgstack.Core.Security;
using Orgstack.Server.Hosting;

namespace Orgstack.Server.Security;

/// <summary>
/// ASP.NET Data Protection with its key ring in the database (table data_protection_keys), under the application name
/// "Orgstack": every node reads and writes the same keys, so anything one node protects (TOTP secrets, antiforgery and
/// console cookies) another node can read.
/// </summary>
public sealed class DataProtectionModule : IServerModule
{
    public void AddServices(WebApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName("Orgstack");
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new DatabaseXmlRepository(services.GetRequiredService<IServiceScopeFactory>())));
    }
}

/// <summary>An <see cref="IXmlRepository"/> over the DataProtectionKeys table. Keys are only ever added, never changed.</summary>
public sealed class DatabaseXmlRepository(IServiceScopeFactory scopes) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        return db.DataProtectionKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => k.Xml).ToList()
            .Select(xml => XElement.Parse(xml)).ToList().AsReadOnly();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = friendlyName.Length > 512 ? friendlyName[..512] : friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}
