using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Common;
using Orgstack.Core.Organizations;

namespace Orgstack.Tests.Support;

/// <summary>Builds organizations and people through the real use cases, for tests to start from.</summary>
public static class Scenario
{
    public const string Password = "correct horse battery staple";

    public static async Task<Organization> CreateOrganizationAsync(this AppFactory app, string name, string ownerEmail, string password = Password)
    {
        await using var scope = app.Scope();
        var result = await scope.ServiceProvider.GetRequiredService<CreateOrganization>()
            .HandleAsync(new CreateOrganization.Request(name, ownerEmail, password, "Olive", "Owner"), Actor.System(), CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }
}
