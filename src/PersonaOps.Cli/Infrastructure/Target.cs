using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;
using PersonaOps.Tavus;

namespace PersonaOps.Cli;

/// <summary>
/// The API a command works against: Tavus (TAVUS_API_KEY set), or the local sandbox, embedded in-process
/// with its SQLite file. In CI the sandbox is never chosen implicitly: a pull request must not get a plan
/// against an empty sandbox that looks like "everything will be created".
/// </summary>
internal sealed class Target : IDisposable
{
    public const string DefaultUrl = "https://tavusapi.com";

    private readonly PersonaStore? _store;

    private Target(string description, TavusConnection connection, PersonaStore? store)
    {
        Description = description;
        Connection = connection;
        _store = store;
    }

    /// <summary>What the plan says it is for: the API URL, or the sandbox file.</summary>
    public string Description { get; }

    public TavusConnection Connection { get; }

    public bool IsSandbox => _store is not null;

    public static Target? Resolve(IOContext io, string root, string? sandboxOption, string? apiUrlOption, out string? error)
    {
        error = null;
        var key = io.Environment("TAVUS_API_KEY");
        var sandboxFile = sandboxOption ?? io.Environment("PERSONAOPS_SANDBOX");
        if (!string.IsNullOrEmpty(key) && sandboxOption is null)
        {
            var url = apiUrlOption ?? io.Environment("TAVUS_API_URL") ?? DefaultUrl;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                error = $"the API URL '{url}' is not an http(s) URL; check TAVUS_API_URL or --api-url.";
                return null;
            }

            return new Target(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'), new TavusConnection { BaseAddress = uri, ApiKey = key }, null);
        }

        if (string.IsNullOrEmpty(sandboxFile) && !string.IsNullOrEmpty(io.Environment("CI")))
        {
            error = "TAVUS_API_KEY is not set. In CI, PersonaOps does not fall back to the local sandbox, so that a job without the secret (a pull request from a fork, say) cannot produce a plan against an empty account. Set TAVUS_API_KEY, or pass --sandbox <file> to use a sandbox on purpose.";
            return null;
        }

        var path = Path.GetFullPath(string.IsNullOrEmpty(sandboxFile) ? Path.Combine(".personaops", "sandbox.db") : sandboxFile, root);
        var store = new PersonaStore(path);
        var api = new SandboxApi(store, new SandboxOptions { ApiKey = "sandbox" });
        var connection = new TavusConnection
        {
            BaseAddress = new Uri("http://sandbox.personaops.invalid"),
            ApiKey = "sandbox",
            PrimaryHandler = () => new InProcessHandler(api),
        };
        var shown = Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
        return new Target($"the local sandbox ({shown})", connection, store);
    }

    public void Dispose() => _store?.Dispose();
}
