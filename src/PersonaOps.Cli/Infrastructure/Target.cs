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

    private Target(string description, TavusConnection connection, PersonaStore? store, Core.Planning.PlanKey key, string? environment)
    {
        Plan = new Core.Planning.PlanTarget(description, key) { Environment = environment };
        Connection = connection;
        _store = store;
    }

    /// <summary>What the plan says it is for: the API URL, or the sandbox file.</summary>
    public string Description => Plan.Description;

    /// <summary>
    /// What plans are made for and checked against: the description, and the account's key (from
    /// TAVUS_API_KEY, or the sandbox file's own random key) that keys every fingerprint and the account's identity.
    /// </summary>
    public Core.Planning.PlanTarget Plan { get; }

    public TavusConnection Connection { get; }

    public bool IsSandbox => _store is not null;

    /// <summary>Why the sandbox was chosen, for the line that names the target: an option, or no key.</summary>
    public string? SandboxReason { get; private init; }

    /// <summary>
    /// The target of a run. --sandbox names a sandbox on purpose and wins over the environment (a key or a
    /// URL there); --sandbox and --api-url together are an error. Otherwise TAVUS_API_KEY chooses Tavus, at
    /// --api-url, TAVUS_API_URL or the default. An API URL without a key is an error naming the variable:
    /// a job that lost its secret must not plan against the local sandbox instead. Without either, the
    /// local sandbox (PERSONAOPS_SANDBOX or .personaops/sandbox.db), except in CI.
    /// </summary>
    /// <remarks>
    /// With an environment of personaops.yaml (<see cref="IOContext.Project"/>), the same rules with its
    /// names: its <c>api_key_env</c> variable in place of TAVUS_API_KEY, --api-url or its <c>api_url</c> (never
    /// TAVUS_API_URL), and its <c>sandbox</c> file (default <c>.personaops/NAME.db</c>) when the key variable is
    /// unset, which counts as implicit: in CI only --sandbox chooses a sandbox.
    /// </remarks>
    public static Target? Resolve(IOContext io, string root, string? sandboxOption, string? apiUrlOption, out string? error)
    {
        error = null;
        var environment = io.Project.Environment;
        var keyVariable = environment?.ApiKeyEnv ?? "TAVUS_API_KEY";
        if (sandboxOption is not null && apiUrlOption is not null)
        {
            error = "--sandbox and --api-url choose two different targets; give one of them.";
            return null;
        }

        var key = io.Environment(keyVariable);

        // A URL that names the API on its own (--api-url, TAVUS_API_URL) without a key is a lost secret; an
        // environment's api_url is configuration, and its sandbox still serves a run without the key.
        var namedUrl = apiUrlOption ?? (environment is null ? NonEmpty(io.Environment("TAVUS_API_URL")) : null);
        var url = namedUrl ?? environment?.ApiUrl;
        var urlSource = apiUrlOption is not null ? "--api-url" : environment is null ? "TAVUS_API_URL" : $"{Core.Environments.ProjectFile.FileName} (environments.{environment.Name}.api_url)";
        if (sandboxOption is null && !string.IsNullOrEmpty(key))
        {
            url ??= DefaultUrl;
            if (KeyProblem(key) is { } problem)
            {
                error = $"{keyVariable} holds {problem}, which an API key does not (a secret saved with its line end, say); set it to the key alone. Nothing was sent.";
                return null;
            }

            // Credentials first, judged as text: a URL that does not even parse is never quoted with them.
            if (Core.Manifests.UrlCredentials.Find(url) is { } credential)
            {
                error = $"the API URL in {urlSource} carries credentials ({credential}); give the URL without them, and the key in {keyVariable} only. Nothing was sent.";
                return null;
            }

            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                // Not quoted when it may hold a user name and password PersonaOps could not find as such.
                error = url.Contains('@', StringComparison.Ordinal)
                    ? $"the API URL in {urlSource} is not an http(s) URL (https://host, with no user name or password); check {urlSource}."
                    : $"the API URL '{Shown(url)}' is not an http(s) URL; check {urlSource}.";
                return null;
            }

            if (uri.UserInfo.Length > 0)
            {
                error = $"the API URL in {urlSource} carries credentials; give the key in {keyVariable} only.";
                return null;
            }

            if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                error = $"the API URL in {urlSource} has a {(uri.Query.Length > 0 ? "query" : "fragment")}, which PersonaOps would not send; give the API's address only ({uri.GetLeftPart(UriPartial.Path)}), with a base path if the API has one. Nothing was sent.";
                return null;
            }

            // A base path (https://gw.example/tavus-staging) is kept: requests are resolved against it.
            return new Target(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'), new TavusConnection { BaseAddress = uri, ApiKey = key, RedactServerText = io.Redactor.Redact }, null, Core.Planning.PlanKey.FromApiKey(key), environment?.Name);
        }

        if (sandboxOption is null && namedUrl is not null)
        {
            error = $"{urlSource} names the API {Shown(namedUrl)}, but {keyVariable} is not set (or is empty); set {keyVariable}, or pass --sandbox <file> to use the local sandbox instead. Nothing was sent.";
            return null;
        }

        var sandboxFile = sandboxOption ?? (environment is null ? NonEmpty(io.Environment("PERSONAOPS_SANDBOX")) : null);
        if (sandboxFile is null && !string.IsNullOrEmpty(io.Environment("CI")))
        {
            error = $"{keyVariable} is not set{(environment is null ? "" : $" (the key of the environment {environment.Name})")}. In CI, PersonaOps does not fall back to the local sandbox, so that a job without the secret (a pull request from a fork, say) cannot produce a plan against an empty account. Set {keyVariable}, or pass --sandbox <file> to use a sandbox on purpose.";
            return null;
        }

        var path = Path.GetFullPath(sandboxFile ?? environment?.Sandbox ?? Path.Combine(".personaops", environment is null ? "sandbox.db" : environment.Name + ".db"), root);
        var named = sandboxOption is not null ? "--sandbox" : sandboxFile is not null ? "PERSONAOPS_SANDBOX" : environment is not null ? $"the sandbox of the environment {environment.Name}" : "the default sandbox";
        if (FileKind.Of(path) is var kind and not (FileKindValue.Regular or FileKindValue.Missing))
        {
            error = $"{named} names {(kind == FileKindValue.Directory ? "the folder" : FileKind.Describe(kind))} {Shown(root, path)}; give the sandbox's SQLite file (it is created if missing).";
            return null;
        }

        PersonaStore store;
        try
        {
            store = new PersonaStore(path);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            error = $"{named} file {Shown(root, path)} cannot be used as the sandbox ({ex.Message.TrimEnd('.')}); give a new file name, or the file a previous run created.";
            return null;
        }

        var api = new SandboxApi(store, new SandboxOptions { ApiKey = "sandbox" });
        var connection = new TavusConnection
        {
            BaseAddress = new Uri("http://sandbox.personaops.invalid"),
            ApiKey = "sandbox",
            PrimaryHandler = () => new InProcessHandler(api),
            RedactServerText = io.Redactor.Redact,
        };
        var shown = Shown(root, path);
        return new Target($"the local sandbox ({shown})", connection, store, Core.Planning.PlanKey.FromKeyMaterial(store.InstanceKey), environment?.Name)
        {
            SandboxReason = sandboxOption is not null ? "--sandbox was given" : $"{keyVariable} is not set",
        };
    }

    public void Dispose() => _store?.Dispose();

    /// <summary>
    /// What in <paramref name="key"/> no API key holds and an HTTP header cannot carry as it is, or null: a
    /// line break (the header would not be sent at all), other whitespace (trimmed in transit, so the key sent
    /// is not the one plans are keyed by), a control or non-ASCII character. Said without quoting the key.
    /// </summary>
    private static string? KeyProblem(string key)
    {
        foreach (var c in key)
        {
            if (c is '\r' or '\n')
            {
                return "a line break";
            }

            if (char.IsWhiteSpace(c))
            {
                return "a space or tab";
            }

            if (c < '\u0021' || c > '\u007e')
            {
                return "a control character or one beyond ASCII";
            }
        }

        return null;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>A URL for a message: without any credentials it carries.</summary>
    private static string Shown(string url) => Core.Manifests.UrlCredentials.Strip(url);

    private static string Shown(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
}
