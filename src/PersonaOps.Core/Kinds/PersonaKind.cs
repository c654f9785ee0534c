using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Kinds;

/// <summary>
/// The persona kind (Tavus's persona, or PAL): <c>kind: Persona</c>, <c>schemas/persona/v1</c>,
/// <c>persona_id</c> and <c>persona_name</c> with Tavus's PAL-era names for its fields, the rule that a
/// full-pipeline persona needs a system prompt, and <c>/v2/personas</c>.
/// </summary>
public static class PersonaKind
{
    /// <summary>
    /// The alias table (tavus-api.md §2): the legacy name is PersonaOps's, the PAL-era name is what some
    /// answers carry instead. <c>/v2/pals</c> and <c>default_face_id</c> are one backend with the legacy names.
    /// </summary>
    public static KindIdentity Identity { get; } = new("persona", "persona_id", "persona_name",
    [
        new FieldAlias("/persona_id", "/pal_id"),
        new FieldAlias("/persona_name", "/pal_name"),
        new FieldAlias("/persona_type", "/pal_type"),
        new FieldAlias("/default_replica_id", "/default_face_id"),
        new FieldAlias("/layers/conversational_flow/replica_interruptibility", "/layers/conversational_flow/pal_interruptibility"),
    ]);

    /// <summary>Tavus's persona API: user personas only (the stock ones are not the account's to manage).</summary>
    public static KindApi Api { get; } = new("/v2/personas", "persona_type=user");

    public static ResourceKind Descriptor { get; } = new("Persona", Identity, () => KindSchema.Persona, Api, Rules);

    /// <summary>Tavus rejects a full-pipeline persona without instructions.</summary>
    private static void Rules(string file, JsonObject spec, SourceMap map, List<Diagnostic> diagnostics)
    {
        var echo = SpecStrings.Of(spec["pipeline_mode"]) == "echo";
        var prompt = spec["system_prompt"];
        if (!echo && prompt is null)
        {
            diagnostics.Add(DiagnosticCatalog.SystemPromptRequired.At(file, map.ValueAt("/spec"),
                "spec.system_prompt is required unless spec.pipeline_mode is echo; Tavus rejects a full-pipeline persona without one."));
        }
        else if (!echo && SpecStrings.Of(prompt) is { } text && string.IsNullOrWhiteSpace(text))
        {
            diagnostics.Add(DiagnosticCatalog.SystemPromptRequired.At(file, map.ValueAt("/spec/system_prompt"),
                "spec.system_prompt is empty; give the persona its instructions, or set pipeline_mode: echo."));
        }
    }
}
