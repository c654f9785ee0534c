using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Core.Environments;

/// <summary>
/// One overlay: a partial manifest in an environment's overlay folder, naming the base manifest it changes
/// (<c>apiVersion</c>, <c>kind</c>, <c>metadata.name</c>) and holding the values that differ there.
/// </summary>
public sealed record Overlay(string File, string Name, JsonObject Root, SourceMap Map);

/// <summary>
/// Environments' overlays, pure: reading them from bytes, and merging one onto its base manifest with
/// JSON Merge Patch (RFC 7386: objects merged, arrays and other values replaced whole, <c>null</c> removes),
/// the merged document keeping, for each value, the position in the file that supplied it.
/// </summary>
public static class Overlays
{
    /// <summary>The fields that say which manifest an overlay changes: the base's, never changed by it.</summary>
    private static readonly string[] Identity = ["/apiVersion", "/kind", "/metadata/name"];

    /// <summary>
    /// The overlays of one environment by manifest name, from its overlay files (several documents a file
    /// allowed). An overlay that does not name its manifest, or a second one for a name, is an error.
    /// </summary>
    public static IReadOnlyDictionary<string, Overlay> Read(IEnumerable<SourceFile> files, List<Diagnostic> diagnostics)
    {
        var overlays = new Dictionary<string, Overlay>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var text = SourceDecoder.Decode(file, diagnostics);
            if (text is null)
            {
                continue;
            }

            foreach (var document in YamlDocumentReader.Read(file.Path, text, diagnostics).Where(d => d.Root is not null))
            {
                if (Named(file.Path, document, diagnostics) is not { } overlay)
                {
                    continue;
                }

                if (overlays.TryGetValue(overlay.Name, out var first))
                {
                    diagnostics.Add(DiagnosticCatalog.DuplicateOverlay.At(file.Path, overlay.Map.ValueAt("/metadata/name"),
                        $"a second overlay for '{overlay.Name}' in this environment; the first is at {first.Map.ValueAt("/metadata/name").In(first.File)}. Keep one overlay per manifest."));
                    continue;
                }

                overlays.Add(overlay.Name, overlay);
            }
        }

        return overlays;
    }

    private static Overlay? Named(string file, YamlDocument document, List<Diagnostic> diagnostics)
    {
        const string Needs = "an overlay names the base manifest it changes with apiVersion, kind and metadata.name, and holds only what differs in this environment";
        if (document.Root is not JsonObject root)
        {
            diagnostics.Add(DiagnosticCatalog.OverlayIncomplete.At(file, document.Map.ValueAt(""), $"this document is not a mapping; {Needs}."));
            return null;
        }

        foreach (var field in new[] { "apiVersion", "kind" })
        {
            if (root[field] is not JsonValue value || !value.TryGetValue<string>(out _))
            {
                diagnostics.Add(DiagnosticCatalog.OverlayIncomplete.At(file, document.Map.ValueAt(root.ContainsKey(field) ? "/" + field : ""),
                    root.ContainsKey(field) ? $"{field} must be a string; {Needs}." : $"'{field}' is required in an overlay; {Needs}."));
                return null;
            }
        }

        if (root["metadata"] is not JsonObject metadata || metadata["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name))
        {
            diagnostics.Add(DiagnosticCatalog.OverlayIncomplete.At(file, document.Map.ValueAt(root["metadata"] is JsonObject ? "/metadata" : ""),
                $"'metadata.name' is required in an overlay (a string); {Needs}."));
            return null;
        }

        return new Overlay(file, name, root, document.Map);
    }

    /// <summary>The error when <paramref name="overlay"/> would change its base's apiVersion or kind (its name is how it was matched), else null.</summary>
    public static Diagnostic? IdentityChange(JsonObject baseRoot, Overlay overlay)
    {
        foreach (var field in new[] { "apiVersion", "kind" })
        {
            if (!JsonNode.DeepEquals(baseRoot[field], overlay.Root[field]))
            {
                return DiagnosticCatalog.OverlayChangesIdentity.At(overlay.File, overlay.Map.ValueAt("/" + field),
                    $"the overlay says {field}: {overlay.Root[field]?.ToJsonString()}, but its base manifest '{overlay.Name}' says {baseRoot[field]?.ToJsonString() ?? "nothing"}; an overlay changes values of its base, never its apiVersion, kind or metadata.name.");
            }
        }

        return null;
    }

    /// <summary>RFC 7386 JSON Merge Patch: <paramref name="patch"/> applied to <paramref name="target"/>, as a new value (neither input is changed).</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch) => Merge(target, patch, "", null);

    /// <summary>
    /// The base manifest with <paramref name="overlay"/> merged onto it (RFC 7386), and where each of its
    /// values came from: a value the overlay supplied is placed in the overlay's file, an inherited one in the
    /// base's. apiVersion, kind and metadata.name stay the base's (<see cref="IdentityChange"/> first).
    /// Spans (the text adopt rewrites) are kept only for values wholly inherited from the base.
    /// </summary>
    public static (JsonObject Root, SourceMap Map) Merge(JsonObject baseRoot, SourceMap baseMap, Overlay overlay)
    {
        var map = new SourceMap(baseMap.DocumentStart);
        var merged = (JsonObject)Merge(baseRoot, overlay.Root, "", new Sources(baseMap, overlay.Map, overlay.File, map))!;
        return (merged, map);
    }

    private sealed record Sources(SourceMap Base, SourceMap Overlay, string OverlayFile, SourceMap Into);

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch, string pointer, Sources? sources)
    {
        if (patch is not JsonObject patchObject)
        {
            if (sources is not null)
            {
                var identity = target is not null && Identity.Contains(pointer);
                sources.Into.CopyFrom(identity ? sources.Base : sources.Overlay, pointer, subtree: true, identity ? null : sources.OverlayFile, spans: identity);
            }

            return patch?.DeepClone();
        }

        var result = new JsonObject();
        if (target is JsonObject targetObject)
        {
            // The mapping is the base's, its content merged: it stays where the base has it.
            sources?.Into.CopyFrom(sources.Base, pointer, subtree: false, file: null, spans: false);
            foreach (var (key, value) in targetObject)
            {
                var child = pointer + "/" + JsonPointer.Escape(key);
                if (!patchObject.TryGetPropertyValue(key, out var replacement))
                {
                    result[key] = value?.DeepClone();
                    sources?.Into.CopyFrom(sources.Base, child, subtree: true, file: null, spans: true);
                }
                else if (replacement is not null)
                {
                    result[key] = Merge(value, replacement, child, sources);
                }
            }
        }
        else
        {
            sources?.Into.CopyFrom(sources.Overlay, pointer, subtree: false, sources.OverlayFile, spans: false);
        }

        foreach (var (key, value) in patchObject)
        {
            if (value is not null && !result.ContainsKey(key) && !(target is JsonObject t && t.ContainsKey(key)))
            {
                result[key] = Merge(null, value, pointer + "/" + JsonPointer.Escape(key), sources);
            }
        }

        return result;
    }
}
