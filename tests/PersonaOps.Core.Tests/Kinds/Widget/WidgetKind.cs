using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Tests.Kinds.Widget;

/// <summary>
/// A second resource kind that exists only in the tests: everything it needs is this folder and one
/// registration (<see cref="Registry"/>). If adding it needed an edit anywhere in PersonaOps.Core, the core
/// would not be kind-generic, and <see cref="WidgetKindTests"/> would not compile or would fail.
/// </summary>
internal static class WidgetKind
{
    public static KindIdentity Identity { get; } = new("widget", "widget_id", "widget_name",
    [
        new FieldAlias("/widget_id", "/gadget_id"),
        new FieldAlias("/widget_name", "/gadget_name"),
    ]);

    public static ResourceKind Descriptor { get; } = new("Widget", Identity, () => KindSchema.FromJson(Schema), new KindApi("/v1/widgets"), Rules);

    /// <summary>The built-in kinds and this one.</summary>
    public static KindRegistry Registry { get; } = KindRegistry.Default.With(Descriptor);

    /// <summary>A widget that is round has no corners.</summary>
    private static void Rules(string file, JsonObject spec, SourceMap map, List<Diagnostic> diagnostics)
    {
        if (spec["shape"]?.GetValue<string>() == "round" && spec["corners"] is not null)
        {
            diagnostics.Add(DiagnosticCatalog.SchemaOther.At(file, map.KeyAt("/spec/corners"), "a round widget has no corners; remove spec.corners."));
        }
    }

    private const string Schema = """
        {
          "$schema": "http://json-schema.org/draft-07/schema#",
          "type": "object",
          "additionalProperties": false,
          "required": ["apiVersion", "kind", "metadata"],
          "properties": {
            "apiVersion": { "type": "string", "enum": ["personaops/v1"] },
            "kind": { "type": "string", "enum": ["Widget"] },
            "metadata": {
              "type": "object",
              "additionalProperties": false,
              "required": ["name"],
              "properties": {
                "name": { "type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$" },
                "id": { "type": "string" },
                "ensure": { "type": "string", "enum": ["present", "absent"], "default": "present" },
                "ignore": { "type": "array", "items": { "type": "string" } }
              }
            },
            "spec": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "widget_id": { "type": "string", "readOnly": true },
                "widget_name": { "type": "string", "minLength": 1 },
                "shape": { "type": "string", "enum": ["round", "square"], "default": "square" },
                "corners": { "type": "integer", "minimum": 0 },
                "description": { "type": "string", "x-personaops-compare": "text" },
                "token": { "type": "string", "writeOnly": true },
                "labels": { "type": "array", "items": { "type": "string" }, "x-personaops-compare": "set" },
                "parts": {
                  "type": "array",
                  "x-personaops-compare": "set",
                  "x-personaops-key": "/part",
                  "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": { "part": { "type": "string" }, "count": { "type": "integer" } }
                  }
                }
              }
            }
          }
        }
        """;
}
