using System.CommandLine;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PersonaOps.Core.Importing;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Validation;
using PersonaOps.Tavus;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops import</c>: write manifests for personas that already exist.</summary>
internal static class ImportCommand
{
    private static readonly Argument<string[]> Ids = new("ids") { Description = "The persona ids to import.", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<bool> All = new("--all") { Description = "Import every persona of the account (persona_type=user)." };
    private static readonly Option<string> Out = new("--out") { Description = "The folder to write the manifests to, one <slug of persona_name>.yaml each.", HelpName = "dir", Required = true };
    private static readonly Option<bool> Force = new("--force") { Description = "Overwrite manifests that already exist." };

    public static Command Create(IOContext io)
    {
        var command = new Command("import", "Write a manifest for each existing persona, with metadata.id pinned and every secret as a ${env:NAME} reference.") { Ids, All, Out, Force };
        Workflow.AddApiOptions(command);
        command.SetAction((parseResult, cancellationToken) => RunAsync(io, parseResult, cancellationToken));
        return command;
    }

    /// <summary>A line that holds the server's text (ids, field names, messages), made inert for a terminal and for GitHub Actions.</summary>
    private static string Inert(string line) => Core.Rendering.TextEscape.Control(line);

    private static async Task<int> RunAsync(IOContext io, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var ids = parseResult.GetValue(Ids) ?? [];
        var all = parseResult.GetValue(All);
        if (ids.Length == 0 == !all)
        {
            io.Error.WriteLine("personaops: error: give the persona ids to import, or --all (not both).");
            return ExitCodes.Error;
        }

        var root = CliApp.ProjectRoot(io, parseResult);
        var arguments = new WorkflowArguments(root, [], [], parseResult.GetValue(Workflow.Sandbox), parseResult.GetValue(Workflow.ApiUrl), 8, false, false, parseResult.GetValue(GlobalOptions.Verbose), Workflow.Limits(parseResult));
        using var target = Workflow.OpenTarget(io, arguments);
        if (target is null)
        {
            return ExitCodes.Error;
        }

        await using var services = Workflow.Services(io, target, arguments);
        var client = services.GetRequiredService<TavusClient>();
        var personas = new List<System.Text.Json.Nodes.JsonObject>();
        try
        {
            if (all)
            {
                personas.AddRange(await client.ListUserPersonasAsync(cancellationToken));
            }
            else
            {
                foreach (var id in ids.Distinct(StringComparer.Ordinal))
                {
                    personas.Add(await client.GetPersonaAsync(id, cancellationToken) ?? throw new TavusApiException(null, $"persona {id} is not in this account"));
                }
            }
        }
        catch (TavusApiException ex)
        {
            io.Error.WriteLine(Inert($"personaops: error: could not read the personas: {ex.Message}"));
            return ExitCodes.Error;
        }

        // A stock persona is Tavus's, not the account's: asked for by id, it is refused; listed by a server
        // that ignored persona_type=user, it is skipped. A persona of the account that cannot be written
        // (text that is not Unicode) is refused: an import that quietly left one out would lose it.
        foreach (var persona in personas.Where(p => Importer.Refusal(p) is not null).ToArray())
        {
            if (!all || Core.Manifests.SpecStrings.Of(persona["persona_type"]) != "system")
            {
                io.Error.WriteLine(Inert($"personaops: error: {Importer.Refusal(persona)} Nothing was written."));
                return ExitCodes.Error;
            }

            io.Error.WriteLine(Inert($"personaops: warning: skipped persona {Core.Kinds.PersonaKind.Identity.Id(persona)}: the listing returned a stock persona of Tavus (persona_type: system), which is not the account's to manage."));
            personas.Remove(persona);
        }

        Workflow.RedactSecretsOf(io, personas);
        var outDir = Path.GetFullPath(parseResult.GetValue(Out)!, io.CurrentDirectory);
        // By name, then id: two personas that share a name get the same file names on every import.
        var imported = Importer.Import(personas
            .OrderBy(p => Core.Kinds.PersonaKind.Identity.Name(p), StringComparer.Ordinal)
            .ThenBy(p => Core.Kinds.PersonaKind.Identity.Id(p), StringComparer.Ordinal).ToArray());

        // Every manifest written must validate. A live persona whose values PersonaOps's schema refuses (a
        // value Tavus accepted that the schema does not, a blank prompt) is not written: it is named with
        // its problems, the others are imported, and the run exits 1. Leaving one out deletes nothing: a plan
        // never deletes a persona it has no manifest for.
        var check = ManifestValidator.Validate(imported.Select(m => new SourceFile(m.Name + ".yaml", Encoding.UTF8.GetBytes(m.Yaml))));
        var invalid = check.Diagnostics.Where(d => d.IsError).GroupBy(d => d.File, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        var refused = imported.Where(m => invalid.ContainsKey(m.Name + ".yaml")).ToArray();
        if (invalid.Keys.Any(file => imported.All(m => m.Name + ".yaml" != file)))
        {
            foreach (var diagnostic in check.Diagnostics.Where(d => d.IsError))
            {
                io.Error.WriteLine(Inert(Core.Diagnostics.DiagnosticFormatter.FormatText(diagnostic)));
            }

            io.Error.WriteLine("personaops: error: the imported manifests would not validate together; nothing was written. Please report this.");
            return ExitCodes.Error;
        }

        foreach (var manifest in refused)
        {
            foreach (var diagnostic in invalid[manifest.Name + ".yaml"])
            {
                io.Error.WriteLine(Inert(Core.Diagnostics.DiagnosticFormatter.FormatText(diagnostic)));
            }

            io.Error.WriteLine(Inert($"personaops: error: persona {manifest.PersonaId} was not imported: its live values would not make a valid manifest (above, as {manifest.Name}.yaml). Fix it in Tavus and import it again, or write its manifest by hand."));
        }

        imported = [.. imported.Except(refused)];
        var existing = imported.Select(m => Path.Combine(outDir, m.Name + ".yaml")).Where(File.Exists).ToArray();
        if (existing.Length > 0 && !parseResult.GetValue(Force))
        {
            io.Error.WriteLine($"personaops: error: {existing.Length} manifest(s) already exist ({string.Join(", ", existing.Select(p => Path.GetRelativePath(io.CurrentDirectory, p)))}); nothing was written. Use --force to overwrite.");
            return ExitCodes.Error;
        }

        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            io.Error.WriteLine($"personaops: error: cannot create {Path.GetRelativePath(io.CurrentDirectory, outDir)}: {ex.Message}; nothing was written.");
            return ExitCodes.Error;
        }

        foreach (var manifest in imported)
        {
            var path = Path.Combine(outDir, manifest.Name + ".yaml");
            if (await AtomicFile.WriteAsync(path, manifest.Yaml) is { } error)
            {
                io.Error.WriteLine($"personaops: error: cannot write {Path.GetRelativePath(io.CurrentDirectory, path)}: {error}");
                return ExitCodes.Error;
            }

            io.Out.WriteLine(Inert($"{Path.GetRelativePath(io.CurrentDirectory, path)}: persona {manifest.PersonaId}"));
            foreach (var note in manifest.Notes)
            {
                io.Error.WriteLine(Inert($"personaops: {manifest.Name}: {note}"));
            }
        }

        var variables = imported.SelectMany(m => m.Variables).ToArray();
        if (variables.Length > 0)
        {
            io.Error.WriteLine($"personaops: the secrets were not written; set these variables before plan or apply: {string.Join(", ", variables)}.");
        }

        io.Error.WriteLine($"personaops: imported {imported.Count} persona(s) into {Path.GetRelativePath(io.CurrentDirectory, outDir)}{(refused.Length > 0 ? $"; {refused.Length} not imported (above)" : "")}.");
        return refused.Length > 0 ? ExitCodes.Error : ExitCodes.Success;
    }
}
