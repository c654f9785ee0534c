namespace PersonaOps.Tavus;

/// <summary>
/// Where and how the client talks to a Tavus-compatible API. The key is held here only to be sent in
/// <c>x-api-key</c>; <see cref="ToString"/> never shows it.
/// </summary>
public sealed record TavusConnection
{
    /// <summary>The API's address, with any base path it has (<c>https://gw.example/tavus-staging</c>).</summary>
    public required Uri BaseAddress { get; init; }

    /// <summary>
    /// <see cref="BaseAddress"/> ending in '/' and without query or fragment: what request paths are resolved
    /// against, so a base path is kept by every request (an absolute path would drop it).
    /// </summary>
    public Uri Root
    {
        get
        {
            var builder = new UriBuilder(BaseAddress) { Query = "", Fragment = "" };
            if (!builder.Path.EndsWith('/'))
            {
                builder.Path += "/";
            }

            return builder.Uri;
        }
    }

    public required string ApiKey { get; init; }

    /// <summary>Replaces the network with another handler: the embedded sandbox, or a test double.</summary>
    public Func<HttpMessageHandler>? PrimaryHandler { get; init; }

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt, for 429, 5xx and transport failures.</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>The first backoff delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest single wait, whatever Retry-After says.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Persona pages fetched at once after the first.</summary>
    public int ListParallelism { get; init; } = 8;

    /// <summary>Personas per page when listing.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>
    /// The largest body read from one successful answer (16 MiB): a larger one is an error, never held
    /// whole in memory. A page of 100 personas is well under 1 MiB.
    /// </summary>
    public long MaxResponseBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// The most JSON values (objects, arrays, strings, numbers, literals) one answer may hold: 250,000, about
    /// a hundred times what a page of 100 personas holds. Counted before a document is built, because a
    /// document takes some 200 bytes a value in memory: 16 MiB of <c>{},</c> would take 1.1 GB.
    /// </summary>
    public int MaxJsonValues { get; init; } = 250_000;

    /// <summary>
    /// How much of an error answer's body is read (64 KiB): the reason is found in that prefix, redacted
    /// and then cut to a line; the rest is never read.
    /// </summary>
    public int MaxErrorBodyBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Masks the secrets the caller knows in text that came from the server (an error body may echo a
    /// request). Applied before any such text is cut to length, so a cut never leaves part of a secret.
    /// </summary>
    public Func<string, string> RedactServerText { get; init; } = static text => text;

    public override string ToString() => $"TavusConnection {{ BaseAddress = {BaseAddress}, ApiKey = (hidden) }}";
}
