using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Validation;
using PersonaOps.Tavus;

namespace PersonaOps.Cli.Commands;

/// <summary>The arguments plan, drift and apply share.</summary>
internal sealed record WorkflowArguments(
    string Root,
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> Only,
    string? Sandbox,
    string? ApiUrl,
    int Parallelism,
    bool RotateSecrets,
    bool Color,
    bool Verbose,
    RequestLimits Limits,
    string? Base = null,
    string? Head = null,
    bool Untrusted = false);

/// <summary>How long one API request may take, how often a failed one is retried, and how large an answer may be.</summary>
internal sealed record RequestLimits(int TimeoutSeconds, int MaxRetries, int MaxResponseMiB = 16)
{
    public static readonly RequestLimits Default = new(30, 6, 16);
}

/// <summary>
/// The steps plan, drift and apply share: read and validate the manifests (no API call before they are
/// known to be good), choose the target, read the live personas, compute the plan.
/// </summary>
internal static class Workflow
{
    public static readonly Argument<string[]> Paths = new("paths")
    {
        Description = "Manifest files or folders. Default: personas/ under the project root.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static readonly Option<string?> Env = new("--env") { Description = "The environment of personaops.yaml to work on: its account (key variable, URL, sandbox) and its overlays. Default: PERSONAOPS_ENV, else the file's default_environment.", HelpName = "name" };

    public static readonly Option<string[]> Only = new("--only") { Description = "Restrict to the manifests with this metadata.name (repeatable).", HelpName = "name" };
    public static readonly Option<string?> Sandbox = new("--sandbox") { Description = "Use the local sandbox in this SQLite file, even in CI or with TAVUS_API_KEY set (PERSONAOPS_SANDBOX names the file when no key is set).", HelpName = "file" };
    public static readonly Option<string?> ApiUrl = new("--api-url") { Description = $"The Tavus API (also TAVUS_API_URL); needs TAVUS_API_KEY, and without it is an error. Default: {Target.DefaultUrl} when TAVUS_API_KEY is set.", HelpName = "url" };
    public static readonly Option<int> Parallelism = new Option<int>("--parallelism") { Description = "Requests in flight at once, 1 to 64.", HelpName = "count", DefaultValueFactory = _ => 8 }.InRange(1, 64);
    public static readonly Option<string?> Base = new("--base")
    {
        Description = "A Git revision holding the manifests as they were last applied (a pull request's base, the commit before a merge, main): the plan then tells this change apart from edits made outside PersonaOps since (which apply reverts) and from conflicts between the two, follows renames, and sends secrets added or re-referenced since.",
        HelpName = "revision",
    };

    public static readonly Option<string?> Head = new("--head")
    {
        Description = "Read the manifests at this Git revision instead of the work tree, from Git's objects (nothing is checked out): a fork's pull request fetched as data, or a commit of main. The project file and the API still come from the work tree and the environment.",
        HelpName = "revision",
    };

    public static readonly Option<bool> Untrusted = new("--untrusted")
    {
        Description = "The manifests come from someone who must not see this job's environment (a fork's pull request planned with the repository's secrets): a ${env:...} outside a secret field is an error (PO3016), since the plan would show its value.",
    };

    public static readonly Option<bool> RotateSecrets = new("--rotate-secrets") { Description = "Send every secret again, including those Tavus does not return and so cannot be compared." };
    public static readonly Option<int> Timeout = new Option<int>("--timeout") { Description = "Seconds one API request may take before it counts as failed (and is retried, where that is safe).", HelpName = "seconds", DefaultValueFactory = _ => RequestLimits.Default.TimeoutSeconds }.InRange(1, 600, "seconds");
    public static readonly Option<int> MaxRetries = new Option<int>("--max-retries") { Description = "Retries of a request that failed with 429, 5xx, a timeout or a dropped connection; 0 turns retries off.", HelpName = "count", DefaultValueFactory = _ => RequestLimits.Default.MaxRetries }.InRange(0, 20);
    public static readonly Option<int> MaxResponseSize = new Option<int>("--max-response-size") { Description = "The largest answer read from the API, in MiB; a larger one is an error, never held whole.", HelpName = "MiB", DefaultValueFactory = _ => RequestLimits.Default.MaxResponseMiB }.InRange(1, 1024, "MiB");

    /// <summary>Adds the options of every command that talks to the API.</summary>
    public static void AddApiOptions(Command command)
    {
        command.Options.Add(Env);
        command.Options.Add(Sandbox);
        command.Options.Add(ApiUrl);
        command.Options.Add(Timeout);
        command.Options.Add(MaxRetries);
        command.Options.Add(MaxResponseSize);
    }

    public static RequestLimits Limits(ParseResult parseResult) => new(parseResult.GetValue(Timeout), parseResult.GetValue(MaxRetries), parseResult.GetValue(MaxResponseSize));

    public static void AddTo(Command command)
    {
        command.Arguments.Add(Paths);
        command.Options.Add(Only);
        AddApiOptions(command);
        command.Options.Add(Parallelism);
        command.Options.Add(RotateSecrets);
        command.Options.Add(Base);
    }

    /// <summary>Adds --head and --untrusted: for the commands that only read (plan, drift), never apply.</summary>
    public static void AddRevisionOptions(Command command)
    {
        command.Options.Add(Head);
        command.Options.Add(Untrusted);
    }

    public static WorkflowArguments Arguments(IOContext io, ParseResult parseResult) => new(
        CliApp.ProjectRoot(io, parseResult),
        parseResult.GetValue(Paths) ?? [],
        parseResult.GetValue(Only) ?? [],
        parseResult.GetValue(Sandbox),
        parseResult.GetValue(ApiUrl),
        parseResult.GetValue(Parallelism),
        parseResult.GetValue(RotateSecrets),
        io.UseColor(parseResult.GetValue(GlobalOptions.NoColor)),
        parseResult.GetValue(GlobalOptions.Verbose),
        Limits(parseResult),
        parseResult.GetValue(Base),
        parseResult.CommandResult.Command.Options.Contains(Head) ? parseResult.GetValue(Head) : null,
        parseResult.CommandResult.Command.Options.Contains(Untrusted) && parseResult.GetValue(Untrusted));

    /// <summary>
    /// Reads and validates the manifests, then resolves them (<see cref="DesiredResolver"/>): the environment
    /// must hold the variables they reference (every one for apply, <paramref name="requireSecrets"/>), and
    /// no two may resolve to one persona_name. Diagnostics go to stderr. Null when any is an error.
    /// With --only, the manifests named are resolved as above, and every other manifest too, for identity
    /// (its ordinary variables; its secrets are never needed): --only narrows what is changed, never what is
    /// checked, so a manifest found by name cannot take a persona another manifest manages.
    /// </summary>
    public static LoadedManifests? LoadManifests(IOContext io, WorkflowArguments arguments, bool requireSecrets)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // The schema takes a moment to load (NJsonSchema's reflection): load it while the files are read.
        var schema = Task.Run(() => Core.Schema.KindSchema.Persona);
        var read = ReadManifestFiles(io, arguments, out var overlays);
        _ = schema.GetAwaiter().GetResult();
        if (read is null)
        {
            return null;
        }

        read = read with { Diagnostics = [.. overlays.Diagnostics, .. read.Diagnostics] };
        var result = ManifestValidator.Validate(read.Files, overlays.Files);
        Timing(io, arguments, $"read and validated {read.Files.Count} file(s)", clock);
        var diagnostics = read.Diagnostics.Concat(result.Diagnostics).ToArray();
        foreach (var diagnostic in diagnostics)
        {
            io.Error.WriteLine(DiagnosticFormatter.FormatText(diagnostic));
        }

        if (diagnostics.Any(d => d.IsError))
        {
            io.Error.WriteLine($"personaops: error: the manifests are not valid ({diagnostics.Count(d => d.IsError)} error(s)); nothing was sent to the API.");
            return null;
        }

        var manifests = result.Manifests;
        ResolveResult? everything = null;
        if (arguments.Only.Count > 0)
        {
            var unknown = arguments.Only.Where(n => manifests.All(m => m.Name != n)).ToArray();
            if (unknown.Length > 0)
            {
                io.Error.WriteLine($"personaops: error: --only names no manifest: {string.Join(", ", unknown)}.");
                return null;
            }

            everything = DesiredResolver.Resolve(manifests, io.Environment, requireSecrets: false, untrusted: arguments.Untrusted);
            manifests = manifests.Where(m => arguments.Only.Contains(m.Name)).ToArray();
        }

        var resolved = DesiredResolver.Resolve(manifests, io.Environment, requireSecrets, untrusted: arguments.Untrusted);
        foreach (var name in resolved.SecretVariables)
        {
            io.Redactor.Add(io.Environment(name));
        }

        foreach (var diagnostic in resolved.Diagnostics)
        {
            io.Error.WriteLine(DiagnosticFormatter.FormatText(diagnostic));
        }

        var missing = resolved.Diagnostics.Count(d => d.Code == DiagnosticCatalog.MissingVariable.Code);
        if (missing > 0)
        {
            io.Error.WriteLine($"personaops: error: {missing} environment variable reference(s) cannot be resolved; nothing was sent to the API.");
            return null;
        }

        if (resolved.HasErrors)
        {
            io.Error.WriteLine($"personaops: error: the manifests are not valid once resolved ({resolved.Diagnostics.Count(d => d.IsError)} error(s)); nothing was sent to the API.");
            return null;
        }

        if (everything is not null)
        {
            // The problems of the manifests not named (those of the named ones were reported above).
            var selected = resolved.Resources.Select(r => r.Address).ToHashSet(StringComparer.Ordinal);
            var others = everything.Diagnostics.Where(d => d.IsError && !resolved.Diagnostics.Any(r => r.Address == d.Address && r.Code == d.Code && r.Position == d.Position)).ToArray();
            foreach (var diagnostic in others)
            {
                io.Error.WriteLine(DiagnosticFormatter.FormatText(diagnostic));
            }

            if (others.Length > 0)
            {
                io.Error.WriteLine($"personaops: error: {string.Join(" ", arguments.Only.Select(n => "--only " + n))} changes only the manifests named, but checks which persona every manifest manages, so that none takes a persona another one manages; {others.Length} problem(s) above stop that check. Nothing was sent to the API.");
                return null;
            }

            foreach (var name in everything.SecretVariables)
            {
                io.Redactor.Add(io.Environment(name));
            }

            return LoadBase(io, arguments, out var selectedBase) ? new LoadedManifests(everything, selected) { Base = selectedBase, Files = read.Files } : null;
        }

        return LoadBase(io, arguments, out var planBase) ? new LoadedManifests(resolved, null) { Base = planBase, Files = read.Files } : null;
    }

    /// <summary>
    /// The head manifests' files and the environment's overlays: the work tree's, or with --head those of
    /// that revision, read from Git's objects (the overlay folder is the one the work tree's project file
    /// names: a revision's project file never chooses anything). Null (after saying why) when the revision
    /// cannot be read.
    /// </summary>
    private static ManifestFiles.Result? ReadManifestFiles(IOContext io, WorkflowArguments arguments, out ManifestFiles.Result overlays)
    {
        if (arguments.Head is not { } revision)
        {
            overlays = ManifestFiles.ReadOverlays(arguments.Root, io.Project.Environment);
            return ManifestFiles.Read(arguments.Root, io.CurrentDirectory, arguments.Paths);
        }

        overlays = OverlaysAt(io, arguments, revision, "--head");
        var read = GitRevisionFiles.Read(arguments.Root, io.CurrentDirectory, revision, arguments.Paths, "--head");
        if (read.Error is not null)
        {
            io.Error.WriteLine($"personaops: error: {read.Error} Nothing was sent to the API.");
            return null;
        }

        if (arguments.Verbose)
        {
            io.Error.WriteLine($"personaops: the manifests are those of {TextEscape.Control(revision)}, commit {read.Commit}");
        }

        return new ManifestFiles.Result(read.Files, read.Diagnostics);
    }

    /// <summary>
    /// The environment's overlays as they were at a revision, from the folder the work tree's project file
    /// names (a revision's project file never chooses anything); none without an environment.
    /// </summary>
    private static ManifestFiles.Result OverlaysAt(IOContext io, WorkflowArguments arguments, string revision, string option) =>
        io.Project.Environment is { } environment
        && GitRevisionFiles.Read(arguments.Root, arguments.Root, revision, [Path.Combine(arguments.Root, environment.Overlays)], option) is { Error: null } read
            ? new ManifestFiles.Result(read.Files, read.Diagnostics)
            : new ManifestFiles.Result([], []);

    /// <summary>
    /// With --base, the manifests at that revision, read from Git and resolved as the head's are (secrets
    /// stay references: only which variable a secret names is compared). A base manifest that no longer
    /// reads or resolves is left out with a warning, and its persona is planned two-way. False (after saying
    /// why) when the revision cannot be read.
    /// </summary>
    private static bool LoadBase(IOContext io, WorkflowArguments arguments, out PlanBase? planBase)
    {
        planBase = null;
        if (arguments.Base is not { } revision)
        {
            return true;
        }

        var read = GitRevisionFiles.Read(arguments.Root, io.CurrentDirectory, revision, arguments.Paths);
        if (read.Error is not null)
        {
            io.Error.WriteLine($"personaops: error: {read.Error} Nothing was sent to the API.");
            return false;
        }

        var validated = ManifestValidator.Validate(read.Files, OverlaysAt(io, arguments, revision, "--base").Files);
        var resolved = DesiredResolver.Resolve(validated.Manifests, io.Environment, requireSecrets: false);
        var unusable = read.Diagnostics.Concat(validated.Diagnostics).Concat(resolved.Diagnostics).Where(d => d.IsError).Select(d => d.File).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var file in unusable)
        {
            io.Error.WriteLine(TextEscape.Control($"personaops: warning: {file} at the base {revision} does not read as valid manifests today; its personas are planned without a base."));
        }

        var failed = resolved.Diagnostics.Where(d => d.IsError).Select(d => d.Address).ToHashSet(StringComparer.Ordinal);
        planBase = new PlanBase(read.Commit!, [.. resolved.Resources.Where(r => !failed.Contains(r.Address))]);
        if (arguments.Verbose)
        {
            io.Error.WriteLine($"personaops: the base {TextEscape.Control(revision)} is commit {read.Commit}, with {planBase.Resources.Count} manifest(s)");
        }

        return true;
    }

    /// <summary>Chooses the target and says which on stderr. Null (and a message) when none can be chosen.</summary>
    public static Target? OpenTarget(IOContext io, WorkflowArguments arguments)
    {
        var target = Target.Resolve(io, arguments.Root, arguments.Sandbox, arguments.ApiUrl, out var error);
        if (target is null)
        {
            io.Error.WriteLine($"personaops: error: {error}");
            return null;
        }

        // Every run names what it talks to, so a log shows which account a plan or an apply was for.
        io.Error.WriteLine(target.IsSandbox
            ? $"personaops: using {target.Description}: {target.SandboxReason}, so nothing reaches Tavus."
            : $"personaops: using the Tavus API at {target.Description}");

        return target;
    }

    public static ServiceProvider Services(IOContext io, Target target, WorkflowArguments arguments)
    {
        var verbose = arguments.Verbose;
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
            logging.AddProvider(new StandardErrorLoggerProvider(io.Error, verbose ? LogLevel.Debug : LogLevel.Warning));
            logging.AddFilter("System.Net.Http", LogLevel.None);
            logging.AddFilter("Polly", verbose ? LogLevel.Information : LogLevel.None);
        });
        services.AddTavusClient(target.Connection with
        {
            ListParallelism = 8,
            AttemptTimeout = TimeSpan.FromSeconds(arguments.Limits.TimeoutSeconds),
            MaxRetries = arguments.Limits.MaxRetries,
            MaxResponseBytes = arguments.Limits.MaxResponseMiB * 1024L * 1024L,
        });
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The prologue of plan, drift and apply: load and check the manifests, open the target, read the
    /// account, plan. Null (after saying why on stderr) when any step fails; nothing is sent to the API
    /// before the manifests are known to be good.
    /// </summary>
    public static async Task<PlannedRun?> LoadAndPlanAsync(IOContext io, WorkflowArguments arguments, bool requireSecrets, CancellationToken cancellationToken)
    {
        var manifests = LoadManifests(io, arguments, requireSecrets);
        var target = manifests is null ? null : OpenTarget(io, arguments);
        if (target is null)
        {
            return null;
        }

        var services = Services(io, target, arguments);
        var client = services.GetRequiredService<TavusClient>();
        PlannedRun? run = null;
        try
        {
            if (await PlanAsync(io, arguments, manifests!, target, client, cancellationToken) is { } planned)
            {
                run = new PlannedRun(target, services, client, planned.Plan, planned.Live) { Manifests = manifests };
            }

            return run;
        }
        finally
        {
            if (run is null)
            {
                await services.DisposeAsync();
                target.Dispose();
            }
        }
    }

    /// <summary>Reads the live personas and computes the plan, with the listing it was made from. Null (after saying why) on failure.</summary>
    private static async Task<(Plan Plan, IReadOnlyList<System.Text.Json.Nodes.JsonObject> Live)?> PlanAsync(IOContext io, WorkflowArguments arguments, LoadedManifests manifests, Target target, TavusClient client, CancellationToken cancellationToken)
    {
        IReadOnlyList<System.Text.Json.Nodes.JsonObject> live;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            live = await client.ListUserPersonasAsync(cancellationToken);
            Timing(io, arguments, $"read {live.Count} live persona(s)", clock);
            RedactSecretsOf(io, live);
        }
        catch (TavusApiException ex)
        {
            io.Error.WriteLine($"personaops: error: could not read the live personas: {ex.Message}");
            return null;
        }

        clock.Restart();
        var plan = manifests.Narrow(Planner.Create(target.Plan, manifests.Resolved, live, io.Environment, new PlanOptions { RotateSecrets = arguments.RotateSecrets, Base = manifests.Base }));

        // A known secret (TAVUS_API_KEY, a secret field's variable, a secret the account returned) is shown
        // nowhere, even where a live persona holds it in a field that is not secret; it is sent nowhere but
        // the secret fields either.
        plan = Secrets.MaskKnown(plan, io.Redactor.Redact, out var sendsSecret);
        if (sendsSecret is not null)
        {
            io.Error.WriteLine($"personaops: error: the plan for {sendsSecret} would send a secret's value (TAVUS_API_KEY's, or that of a variable a secret field references) in a field that is not secret, where it would be stored and shown in clear; remove it from the manifest. Nothing was sent.");
            return null;
        }

        Timing(io, arguments, $"planned {plan.Personas.Count} manifest(s)", clock);
        foreach (var error in plan.Errors)
        {
            io.Error.WriteLine(DiagnosticFormatter.FormatText(error));
        }

        if (plan.Errors.Count > 0)
        {
            io.Error.WriteLine($"personaops: error: {plan.Errors.Count} manifest(s) could not be planned; nothing was changed.");
            return null;
        }

        return (plan, live);
    }

    /// <summary>
    /// Masks, in all output, the secret values the account returned (Tavus may echo them back), and the
    /// credentials a live persona's URL fields carry (<c>user:password@</c>, <c>?api_key=</c>): a plan that
    /// shows such a URL, as the value it removes say, shows it masked.
    /// </summary>
    public static void RedactSecretsOf(IOContext io, IEnumerable<System.Text.Json.Nodes.JsonObject> personas)
    {
        foreach (var persona in personas)
        {
            SpecStrings.Walk(persona, (pointer, text, _) =>
            {
                if (UrlCredentials.IsUrlField(pointer.LastToken) && UrlCredentials.Find(text) is not null)
                {
                    foreach (var part in UrlCredentials.SecretParts(text))
                    {
                        io.Redactor.Add(part);
                    }
                }

                return null;
            });

            Core.Schema.PersonaShape.VisitSecrets(persona, (_, value) =>
            {
                if (value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var secret))
                {
                    io.Redactor.Add(secret);
                }
            }, Core.Schema.KindSchema.Persona);
        }
    }

    /// <summary>Reads a plan saved with plan --out. Null (after saying why on stderr) when it cannot be read or was altered.</summary>
    public static async Task<Plan?> ReadPlanFileAsync(IOContext io, string file, CancellationToken cancellationToken) =>
        (await ReadPlanFileWithReasonAsync(io, file, cancellationToken)).Plan;

    /// <summary>
    /// Reads a plan saved with plan --out: the plan, or null and the exit code apply gives (after saying why):
    /// 1 when the file cannot be read at all, 3 when its content is refused (not a plan, another format,
    /// a missing, null or wrong fingerprint: not the plan that was reviewed).
    /// </summary>
    public static async Task<(Plan? Plan, int ExitCode)> ReadPlanFileWithReasonAsync(IOContext io, string file, CancellationToken cancellationToken)
    {
        string text;
        var path = Path.GetFullPath(file, io.CurrentDirectory);

        // A named pipe or a device is never opened: opening a FIFO blocks until a writer comes, in a call no
        // interrupt reaches, and a device never ends.
        if (FileKind.Of(path) is not (FileKindValue.Regular or FileKindValue.Missing) and var kind)
        {
            io.Error.WriteLine($"personaops: error: {Core.Rendering.TextEscape.Control(file)} is {FileKind.Describe(kind)}, not a plan file (personaops plan --out writes one).");
            return (null, ExitCodes.Error);
        }

        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            io.Error.WriteLine($"personaops: error: cannot read the plan file {file}: {ex.Message}");
            return (null, ExitCodes.Error);
        }

        if (!PlanDocument.TryParse(text, out var plan, out var error))
        {
            io.Error.WriteLine($"personaops: error: {file}: {error}");
            return (null, ExitCodes.StalePlan);
        }

        return (plan, ExitCodes.Success);
    }

    /// <summary>With --verbose, how long a step took, on stderr.</summary>
    public static void Timing(IOContext io, WorkflowArguments arguments, string step, System.Diagnostics.Stopwatch clock)
    {
        if (arguments.Verbose)
        {
            io.Error.WriteLine($"personaops: {step} in {clock.Elapsed.TotalMilliseconds:F0} ms");
        }
    }
}

/// <summary>
/// The resolved manifests a plan is made from: every manifest, and with --only the addresses of those named
/// (<see cref="Selected"/>; null: all). Identity and the double-claim check run over all of them; the plan
/// is then narrowed to the ones named (<see cref="Narrow"/>).
/// </summary>
internal sealed record LoadedManifests(ResolveResult Resolved, IReadOnlySet<string>? Selected)
{
    /// <summary>The manifests at --base, for a three-way plan; null without --base.</summary>
    public PlanBase? Base { get; init; }

    /// <summary>The manifest files as read, bytes and display paths: what drift --adopt rewrites.</summary>
    public IReadOnlyList<SourceFile> Files { get; init; } = [];

    /// <summary>
    /// <paramref name="plan"/>, made from every manifest, with only the manifests named and their errors, plus
    /// every two-manifests-one-persona error (PO5003): it is reported on the second manifest, which may be one
    /// not named while the first is, and a claim between any two means one of them would write another's persona.
    /// </summary>
    public Plan Narrow(Plan plan) => Selected is null ? plan : plan with
    {
        Personas = [.. plan.Personas.Where(p => Selected.Contains(p.Address))],
        Errors = [.. plan.Errors.Where(e => (e.Address is { } address && Selected.Contains(address)) || e.Code == DiagnosticCatalog.ClaimedTwice.Code)],
        Unmanaged = [],
    };
}

/// <summary>A plan made against the account, with the target, services and client that made it, for the command to use and then dispose.</summary>
internal sealed class PlannedRun(Target target, ServiceProvider services, TavusClient client, Plan plan, IReadOnlyList<System.Text.Json.Nodes.JsonObject> live) : IAsyncDisposable
{
    public TavusClient Client => client;

    /// <summary>What the plan was made against, its key included.</summary>
    public Target Target => target;

    public Plan Plan => plan;

    /// <summary>The personas the plan was made from.</summary>
    public IReadOnlyList<System.Text.Json.Nodes.JsonObject> Live => live;

    /// <summary>The manifests the plan was made from, with the files they were read from.</summary>
    public LoadedManifests? Manifests { get; init; }

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        target.Dispose();
    }
}
