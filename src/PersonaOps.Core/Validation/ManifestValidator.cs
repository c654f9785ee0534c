using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Environments;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Validation;

/// <summary>The manifests that passed, and every diagnostic, sorted by file and position.</summary>
public sealed record ValidationResult(IReadOnlyList<Manifest> Manifests, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    public int ErrorCount => Diagnostics.Count(d => d.IsError);

    public int WarningCount => Diagnostics.Count(d => !d.IsError);
}

/// <summary>
/// Loads and validates manifests: decode, YAML with positions, JSON Schema, then the checks the schema
/// cannot express, per document and across all of them. Pure: files arrive as bytes.
/// </summary>
public static class ManifestValidator
{
    public static ValidationResult Validate(IEnumerable<SourceFile> files, KindRegistry? kinds = null) => Validate(files, [], kinds);

    /// <summary>
    /// Validates the manifests of one environment: each base manifest with the overlay of its name (from
    /// <paramref name="overlayFiles"/>, the environment's overlay folder) merged onto it before validation
    /// (<see cref="Overlays.Merge"/>), so a diagnostic names the file that supplied the value. An overlay
    /// with no base manifest of its name, or one that changes its base's apiVersion or kind, is an error.
    /// </summary>
    public static ValidationResult Validate(IEnumerable<SourceFile> files, IReadOnlyList<SourceFile> overlayFiles, KindRegistry? kinds = null)
    {
        var registry = kinds ?? KindRegistry.Default;
        var overlayDiagnostics = new List<Diagnostic>();
        var overlays = overlayFiles.Count == 0 ? new Dictionary<string, Overlay>() : Overlays.Read(overlayFiles, overlayDiagnostics);
        var used = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var inputs = files.ToArray();
        var perFile = new (List<Manifest> Manifests, List<Diagnostic> Diagnostics)[inputs.Length];

        // Files are independent until the uniqueness checks, so they are loaded on every core; the first
        // runs alone so that the schema's lazily built parts are complete before threads share them.
        // Results are merged in input order, so output never depends on scheduling.
        for (var i = 0; i < inputs.Length; i++)
        {
            perFile[i] = ([], []);
        }

        if (inputs.Length > 0)
        {
            LoadFile(inputs[0], registry, perFile[0].Manifests, perFile[0].Diagnostics, overlays, used);
        }

        Parallel.For(1, inputs.Length, i => LoadFile(inputs[i], registry, perFile[i].Manifests, perFile[i].Diagnostics, overlays, used));

        foreach (var overlay in overlays.Values.Where(o => !used.ContainsKey(o.Name)))
        {
            overlayDiagnostics.Add(DiagnosticCatalog.OverlayWithoutBase.At(overlay.File, overlay.Map.ValueAt("/metadata/name"),
                $"the overlay is for '{overlay.Name}', but no manifest has metadata.name '{overlay.Name}'; an overlay changes a base manifest of its name (it cannot add or rename one)."));
        }

        var diagnostics = overlayDiagnostics.Concat(perFile.SelectMany(f => f.Diagnostics)).ToList();
        var manifests = perFile.SelectMany(f => f.Manifests).ToList();

        SemanticChecks.CheckUniqueness(manifests, diagnostics);
        diagnostics.Sort(static (a, b) =>
        {
            var byFile = string.CompareOrdinal(a.File, b.File);
            if (byFile != 0) return byFile;
            var byLine = a.Position.Line.CompareTo(b.Position.Line);
            return byLine != 0 ? byLine : a.Position.Column.CompareTo(b.Position.Column);
        });
        return new ValidationResult(manifests, diagnostics);
    }

    private static void LoadFile(SourceFile file, KindRegistry kinds, List<Manifest> manifests, List<Diagnostic> diagnostics, IReadOnlyDictionary<string, Overlay> overlays, System.Collections.Concurrent.ConcurrentDictionary<string, bool> used)
    {
        var text = SourceDecoder.Decode(file, diagnostics);
        if (text is null)
        {
            return;
        }

        var errorsBefore = diagnostics.Count(d => d.IsError);
        var documents = YamlDocumentReader.Read(file.Path, text, diagnostics);
        var parsedCleanly = diagnostics.Count(d => d.IsError) == errorsBefore;
        var nonEmpty = documents.Where(d => d.Root is not null).ToArray();
        if (nonEmpty.Length == 0)
        {
            if (parsedCleanly)
            {
                diagnostics.Add(DiagnosticCatalog.EmptyFile.At(file.Path, SourcePosition.Start,
                    "the file holds no YAML document; write a persona manifest in it or delete it."));
            }

            return;
        }

        foreach (var read in nonEmpty)
        {
            var document = read;
            string? overlayFile = null;
            if (overlays.Count > 0 && document.Root is JsonObject unmerged && unmerged["metadata"] is JsonObject metadata
                && metadata["name"] is JsonValue nameValue && nameValue.TryGetValue<string>(out var manifestName) && overlays.TryGetValue(manifestName, out var overlay))
            {
                used[manifestName] = true;
                if (Overlays.IdentityChange(unmerged, overlay) is { } change)
                {
                    diagnostics.Add(change);
                    continue;
                }

                var (mergedRoot, mergedMap) = Overlays.Merge(unmerged, document.Map, overlay);
                document = document with { Root = mergedRoot, Map = mergedMap };
                overlayFile = overlay.File;
            }

            if (document.Root is not JsonObject root)
            {
                var shape = document.Root is JsonArray ? "a list" : "a single value";
                diagnostics.Add(DiagnosticCatalog.WrongType.At(file.Path, document.Map.ValueAt(""),
                    $"a manifest must be a mapping with apiVersion, kind, metadata and spec, but this document is {shape}."));
                continue;
            }

            // The document's kind chooses its schema and rules; a kind PersonaOps does not manage is reported
            // by the default kind's schema, which names the kinds it accepts.
            var kind = kinds.ForManifest(root["kind"] is JsonValue k && k.TryGetValue<string>(out var name) ? name : null) ?? kinds.Primary;
            var before = diagnostics.Count(d => d.IsError);
            SchemaValidation.Validate(file.Path, root, document.Map, kind.Schema, diagnostics);
            SemanticChecks.CheckDocument(file.Path, root, document.Map, kind, diagnostics);
            if (diagnostics.Count(d => d.IsError) == before)
            {
                manifests.Add(ToManifest(file.Path, document, root) with { Kind = kind, Overlay = overlayFile });
            }
        }
    }

    private static Manifest ToManifest(string file, YamlDocument document, JsonObject root)
    {
        var metadata = root["metadata"]!.AsObject();
        var ignore = metadata["ignore"] is JsonArray list
            ? list.Select(p => JsonPointer.Parse(p!.GetValue<string>())).ToArray()
            : [];
        return new Manifest(
            file,
            document.Index,
            document.Map.ValueAt(""),
            metadata["name"]!.GetValue<string>(),
            metadata["id"]?.GetValue<string>(),
            metadata["ensure"]?.GetValue<string>() == "absent" ? Ensure.Absent : Ensure.Present,
            ignore,
            root["spec"] as JsonObject,
            document.Map);
    }
}
