namespace PersonaOps.Sandbox.Api;

/// <summary>Draws injected faults from one seeded random sequence, so a run with a given seed is repeatable.</summary>
internal sealed class FaultInjector(FaultOptions options)
{
    private readonly Random _random = new(options.Seed);
    private readonly Lock _lock = new();

    public FaultOptions Options => options;

    /// <summary>What to do to a request before it is handled: nothing, a 500, or a 429.</summary>
    public int? BeforeHandling()
    {
        if (options.ErrorRate <= 0 && options.RateLimitRate <= 0)
        {
            return null;
        }

        double draw;
        lock (_lock)
        {
            draw = _random.NextDouble();
        }

        return draw < options.ErrorRate ? 500 : draw < options.ErrorRate + options.RateLimitRate ? 429 : null;
    }

    /// <summary>Whether to drop the connection after a write was stored.</summary>
    public bool DropAfterCommit()
    {
        if (options.DropAfterCommitRate <= 0)
        {
            return false;
        }

        lock (_lock)
        {
            return _random.NextDouble() < options.DropAfterCommitRate;
        }
    }
}
