using System.CommandLine;
using System.Globalization;
using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Commands;

/// <summary>The arguments of <c>personaops sandbox serve</c>.</summary>
internal sealed record SandboxServeArguments(int Port, string Database, SandboxOptions Options, bool KeyIsDefault);

/// <summary><c>personaops sandbox serve</c>: the Tavus-compatible sandbox over HTTP, on 127.0.0.1 only.</summary>
internal static class SandboxCommand
{
    /// <summary>The key used when neither --api-key nor TAVUS_API_KEY gives one. Not a secret: it is printed.</summary>
    public const string DefaultKey = "sandbox";

    private static readonly Option<int> Port = new Option<int>("--port") { Description = "The port to listen on, on 127.0.0.1; 0 picks a free one. The address is printed on stdout.", DefaultValueFactory = _ => 8787 }.InRange(0, 65535);
    private static readonly Option<string?> Database = new("--db") { Description = "The SQLite file that keeps the sandbox's personas. Default: .personaops/sandbox.db under the project root.", HelpName = "file" };
    private static readonly Option<string?> ApiKey = new("--api-key") { Description = "The key clients must send in x-api-key. Default: TAVUS_API_KEY, else 'sandbox'.", HelpName = "key" };
    private static readonly Option<SecretReadBack> Secrets = new Option<SecretReadBack>("--secrets") { Description = "What secret fields read back as: echo (as stored), mask (****) or omit.", DefaultValueFactory = _ => SecretReadBack.Echo }.Named();
    private static readonly Option<DefaultsReadBack> Defaults = new Option<DefaultsReadBack>("--defaults") { Description = "Whether fields equal to their defaults read back (keep) or are left out (omit).", DefaultValueFactory = _ => DefaultsReadBack.Keep }.Named();
    private static readonly Option<int> UnknownId = new Option<int>("--unknown-id-status") { Description = "The status for an unknown persona id: 400 (documented) or 404.", DefaultValueFactory = _ => 400 }.OneOf(400, 404);
    private static readonly Option<bool> MakerDrafts = new("--maker-drafts") { Description = "Simulate PAL Maker drafts: 409 maker_changes unless ?force=true." };
    private static readonly Option<bool> StrictFields = new("--strict-fields") { Description = "Refuse unknown fields with 400 instead of storing them." };
    private static readonly Option<PalNames> PalNamesOption = new Option<PalNames>("--pal-names") { Description = "Read personas back with Tavus's PAL-era names (pal_id, pal_name, default_face_id, ...): off, all, mixed (some personas, as accounts mix them) or both (both names).", DefaultValueFactory = _ => PalNames.Off }.Named();
    private static readonly Option<string[]> Replicas = new("--replica") { Description = "A replica id to accept besides Tavus's stock replicas (repeatable).", AllowMultipleArgumentsPerToken = false, HelpName = "id" };
    private static readonly Option<int> Latency = new Option<int>("--latency-ms") { Description = "Latency added to every request, in milliseconds (up to 600000).", HelpName = "ms" }.InRange(0, 600_000);
    private static readonly Option<double> FaultRate = new Option<double>("--fault-rate") { Description = "Share of requests (0-1) answered 500.", HelpName = "share" }.InRange(0, 1);
    private static readonly Option<double> RateLimitRate = new Option<double>("--rate-limit-rate") { Description = "Share of requests (0-1) answered 429 with Retry-After.", HelpName = "share" }.InRange(0, 1);
    private static readonly Option<int> RetryAfter = new Option<int>("--retry-after") { Description = "Seconds in the Retry-After header of injected 429s (0 to 3600).", HelpName = "seconds", DefaultValueFactory = _ => 1 }.InRange(0, 3600, "seconds");
    private static readonly Option<double> DropRate = new Option<double>("--drop-after-commit-rate") { Description = "Share of writes (0-1) stored and then answered by closing the connection.", HelpName = "share" }.InRange(0, 1);
    private static readonly Option<int> Seed = new Option<int>("--seed") { Description = "Seed for the injected faults, so a run can be repeated.", HelpName = "number" }.AnyInt();

    public static Command Create(IOContext io)
    {
        var serve = new Command("serve", "Serve the Tavus-compatible persona API over HTTP on 127.0.0.1, persisted in SQLite, until Ctrl+C or SIGTERM. One log line per request on stderr.")
        {
            Port, Database, ApiKey, Secrets, Defaults, UnknownId, MakerDrafts, StrictFields, PalNamesOption, Replicas, Latency, FaultRate, RateLimitRate, RetryAfter, DropRate, Seed,
        };
        serve.SetAction((parseResult, cancellationToken) =>
        {
            var root = CliApp.ProjectRoot(io, parseResult);
            var key = parseResult.GetValue(ApiKey) ?? io.Environment("TAVUS_API_KEY");
            var arguments = new SandboxServeArguments(
                parseResult.GetValue(Port),
                Path.GetFullPath(parseResult.GetValue(Database) ?? Path.Combine(".personaops", "sandbox.db"), root),
                new SandboxOptions
                {
                    ApiKey = string.IsNullOrEmpty(key) ? DefaultKey : key,
                    Secrets = parseResult.GetValue(Secrets),
                    Defaults = parseResult.GetValue(Defaults),
                    UnknownIdStatus = parseResult.GetValue(UnknownId),
                    MakerDrafts = parseResult.GetValue(MakerDrafts),
                    StrictFields = parseResult.GetValue(StrictFields),
                    PalNames = parseResult.GetValue(PalNamesOption),
                    ExtraReplicas = parseResult.GetValue(Replicas) ?? [],
                    Faults = new FaultOptions
                    {
                        LatencyMs = parseResult.GetValue(Latency),
                        ErrorRate = parseResult.GetValue(FaultRate),
                        RateLimitRate = parseResult.GetValue(RateLimitRate),
                        RetryAfterSeconds = parseResult.GetValue(RetryAfter),
                        DropAfterCommitRate = parseResult.GetValue(DropRate),
                        Seed = parseResult.GetValue(Seed),
                    },
                },
                string.IsNullOrEmpty(key));
            return ServeAsync(io, arguments, cancellationToken);
        });

        return new Command("sandbox", "The local, Tavus-compatible sandbox.") { serve };
    }

    internal static async Task<int> ServeAsync(IOContext io, SandboxServeArguments arguments, CancellationToken cancellationToken)
    {
        using var store = new PersonaStore(arguments.Database, extraReplicas: arguments.Options.ExtraReplicas);
        var api = new SandboxApi(store, arguments.Options);
        SandboxServer server;
        try
        {
            server = await SandboxServer.StartAsync(api, arguments.Port, line => Write(io.Error, $"personaops: sandbox: {line}"), cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            await io.Error.WriteLineAsync($"personaops: error: cannot listen on 127.0.0.1:{arguments.Port.ToString(CultureInfo.InvariantCulture)}: {ex.Message}");
            return ExitCodes.Error;
        }

        await using (server)
        {
            var url = server.BaseAddress.ToString().TrimEnd('/');
            var key = arguments.KeyIsDefault ? $"; API key: {DefaultKey}" : "; API key: from --api-key or TAVUS_API_KEY (not shown)";
            Write(io.Error, $"personaops: sandbox listening on {url} (database {arguments.Database}){key}. Stop with Ctrl+C.");
            Write(io.Out, url);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            Write(io.Error, "personaops: sandbox stopped.");
        }

        return ExitCodes.Success;
    }

    private static void Write(TextWriter writer, string line)
    {
        lock (writer)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}
