namespace PersonaOps.Sandbox;

/// <summary>What a secret field reads back as. Tavus does not document it, so the sandbox does all three.</summary>
public enum SecretReadBack
{
    /// <summary>The value as stored.</summary>
    Echo,

    /// <summary>A fixed mask, <c>****</c>.</summary>
    Mask,

    /// <summary>The field left out.</summary>
    Omit,
}

/// <summary>Whether fields equal to their default read back (kept) or are left out, as new Tavus personas do.</summary>
public enum DefaultsReadBack
{
    Keep,
    Omit,
}

/// <summary>
/// Which names personas read back with. Tavus renamed persona to PAL, and an account mixes objects that
/// read back as <c>persona_id</c>/<c>persona_name</c> with objects that read back as
/// <c>pal_id</c>/<c>pal_name</c> (tavus-api.md §2): the sandbox does each.
/// </summary>
public enum PalNames
{
    /// <summary>The legacy names only: <c>persona_id</c>, <c>persona_name</c>, <c>default_replica_id</c>, ...</summary>
    Off,

    /// <summary>Every persona with the PAL-era names only: <c>pal_id</c>, <c>pal_name</c>, <c>default_face_id</c>, ...</summary>
    All,

    /// <summary>Some personas with the PAL-era names, the others with the legacy ones, as accounts mix them (decided by id, so stable).</summary>
    Mixed,

    /// <summary>Every persona with both names of each field.</summary>
    Both,
}

/// <summary>Faults to inject, for tests and benchmarks. Deterministic for a given seed.</summary>
public sealed record FaultOptions
{
    public static FaultOptions None { get; } = new();

    /// <summary>Added to every request.</summary>
    public int LatencyMs { get; init; }

    /// <summary>Share of requests answered 500 before anything is done.</summary>
    public double ErrorRate { get; init; }

    /// <summary>Share of requests answered 429 with Retry-After before anything is done.</summary>
    public double RateLimitRate { get; init; }

    /// <summary>Seconds in the Retry-After header of injected 429s.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Share of writes that are stored, then answered by closing the connection.</summary>
    public double DropAfterCommitRate { get; init; }

    public int Seed { get; init; }

    public bool Any => LatencyMs > 0 || ErrorRate > 0 || RateLimitRate > 0 || DropAfterCommitRate > 0;
}

/// <summary>How the sandbox behaves where Tavus's behaviour is uncertain, and the faults it injects.</summary>
public sealed record SandboxOptions
{
    /// <summary>The key every request must send in x-api-key.</summary>
    public string ApiKey { get; init; } = "sandbox";

    public SecretReadBack Secrets { get; init; } = SecretReadBack.Echo;

    public DefaultsReadBack Defaults { get; init; } = DefaultsReadBack.Keep;

    /// <summary>The status for an unknown persona id: 400 as documented, or 404.</summary>
    public int UnknownIdStatus { get; init; } = 400;

    /// <summary>Simulates PAL Maker drafts: PATCH of a persona with a draft gets 409 maker_changes unless ?force=true.</summary>
    public bool MakerDrafts { get; init; }

    /// <summary>Unknown fields in create and patch bodies: stored (false, the default) or refused with 400 (true).</summary>
    public bool StrictFields { get; init; }

    /// <summary>Whether reads (list, GET, and the answers of create and PATCH) use Tavus's PAL-era field names.</summary>
    public PalNames PalNames { get; init; } = PalNames.Off;

    /// <summary>Replica ids accepted besides Tavus's stock replicas.</summary>
    public IReadOnlyList<string> ExtraReplicas { get; init; } = [];

    public FaultOptions Faults { get; init; } = FaultOptions.None;

    /// <summary>Bodies larger than this are refused with 413.</summary>
    public int MaxBodyBytes { get; init; } = 5 * 1024 * 1024;
}
