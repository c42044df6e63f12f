using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Core.Organizations;

namespace Orgstack.Core;

/// <summary>Core's services for every face (server, CLI, tests): each use case (a public class with HandleAsync) is scoped.</summary>
public static class CoreServices
{
    public static IServiceCollection Add(IServiceCollection services)
    {
        foreach (var type in typeof(OrgstackDbContext).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true, IsGenericType: false }
                     && t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Any(m => m.Name == "HandleAsync")))
            services.AddScoped(type);
        services.AddSingleton<Passwords>();
        services.AddSingleton<LeanConnections>();
        ScopedDb.Register(services);
        services.AddScoped<SessionTokens>();
        services.AddScoped<OrgAccess>();
        services.AddScoped<RequestGrants>();
        services.AddScoped<Stacks.StackAccess>();
        services.AddScoped<MailComposer>();
        services.AddScoped<AccountLockout>();
        services.AddScoped<ActionTokens>();
        services.AddScoped<TwoFactor>();
        services.AddScoped<MemberTargets>();
        services.AddSingleton<RepeatedFailures>();
        services.AddScoped<Security.RateLimiter>();
        return services;
    }
}
