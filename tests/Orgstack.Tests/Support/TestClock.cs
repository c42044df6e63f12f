namespace Orgstack.Tests.Support;

/// <summary>A clock tests move by hand (Microsoft's FakeTimeProvider is not on the package mirror).</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;
    private readonly Lock gate = new();

    public TestClock() : this(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow()
    {
        lock (gate) return now;
    }

    public void Advance(TimeSpan by)
    {
        lock (gate) now += by;
    }
}
