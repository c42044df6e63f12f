using Microsoft.Extensions.DependencyInjection;

namespace Orgstack.Core.Data;

/// <summary>
/// A scope's <see cref="OrgstackDbContext"/>, rented only when something uses it. Every resolution of the context in the
/// scope goes through here (<see cref="Register"/> wraps its registration), so this knows whether the scope has a context,
/// and so whether a transaction can be open. A request that only reads through <see cref="LeanSql"/> (the session check,
/// the access check, GET organization and roles) rents no context: renting one and resetting it on return cost about as
/// much as the statement (bench/README.md).
/// </summary>
public sealed class ScopedDb(IServiceProvider services, LeanTemplate template)
{
    private OrgstackDbContext? context;

    /// <summary>The scope's context, rented on first use.</summary>
    public OrgstackDbContext Context => context ?? services.GetRequiredService<OrgstackDbContext>();

    /// <summary>True once something in the scope has rented the context.</summary>
    public bool HasContext => context is not null;

    /// <summary>True when the scope's context exists and has a transaction open.</summary>
    public bool InTransaction => context?.Database.CurrentTransaction is not null;

    /// <summary>
    /// The context to hand <see cref="LeanSql"/> for a read: the scope's own when it has one (its transaction, if any,
    /// applies), otherwise, where reads run on <see cref="LeanConnections"/>, the shared template (it lends its model and
    /// options; nothing runs on its own connection), otherwise the scope's own, rented now.
    /// </summary>
    public LeanDb ForRead => context is not null ? context : template.Current ?? Context;

    private OrgstackDbContext Track(OrgstackDbContext created)
    {
        context = created;
        template.Learn(created);
        return created;
    }

    /// <summary>Wraps the context's registration (made before this call, pooled or not) so that it is tracked per scope.</summary>
    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<LeanTemplate>();
        services.AddScoped<ScopedDb>();
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(OrgstackDbContext));
        if (registered is null) return;
        services.Remove(registered);
        Func<IServiceProvider, object> create = registered.ImplementationFactory
            ?? (sp => ActivatorUtilities.CreateInstance(sp, registered.ImplementationType ?? typeof(OrgstackDbContext)));
        services.Add(ServiceDescriptor.Describe(typeof(OrgstackDbContext),
            sp => sp.GetRequiredService<ScopedDb>().Track((OrgstackDbContext)create(sp)), registered.Lifetime));
    }
}

/// <summary>
/// What a read without a context needs (the model, the provider, the kept-open connections), learned from the first
/// context the process rents. Only on SQLite with kept-open connections; elsewhere reads run on the scope's own context.
/// </summary>
public sealed class LeanTemplate
{
    private LeanDb? current;
    private int learned;

    /// <summary>Null until a first context has shown the options, and where reads do not use kept-open connections.</summary>
    public LeanDb? Current => Volatile.Read(ref learned) == 2 ? current : null;

    internal void Learn(OrgstackDbContext seen)
    {
        if (Volatile.Read(ref learned) != 0 || Interlocked.CompareExchange(ref learned, 1, 0) != 0) return;
        current = LeanSql.WithoutContext(seen);
        Volatile.Write(ref learned, 2);
    }
}
