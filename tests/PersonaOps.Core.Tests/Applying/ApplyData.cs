using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>Planned personas and live documents for the apply rules' tests, built as values: no HTTP, no files.</summary>
internal static class ApplyData
{
    public const string Secret = "sk-APPLY-canary-0123";

    public static readonly Func<string, string?> Env = name => name == "OPENAI_API_KEY" ? Secret : null;

    public static JsonObject Live(string id, string name, string prompt = "You coach.") =>
        new() { ["persona_id"] = id, ["persona_name"] = name, ["system_prompt"] = prompt, ["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m" } } };

    public static JsonPatchDocument Patch(string json) =>
        JsonPatchDocument.TryParse(json, out var patch, out var error) ? patch : throw new InvalidOperationException(error);

    public static SecretBinding ApiKey(string? fingerprint = null) =>
        new("/layers/llm/api_key", "${env:OPENAI_API_KEY}", fingerprint ?? TestKeys.A.Secret(Secret));

    public static PersonaPlan Create(string name, string personaName, bool withSecret = true) => new(
        name, $"personas/{name}.yaml", 1, null, personaName, PlanAction.Create, new JsonPatchDocument([]),
        new JsonObject
        {
            ["persona_name"] = personaName,
            ["system_prompt"] = "You help.",
            ["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["api_key"] = withSecret ? "${env:OPENAI_API_KEY}" : null } },
        },
        [], withSecret ? [ApiKey()] : [], null, []);

    public static PersonaPlan Update(string name, JsonObject live, string patch, params SecretBinding[] secrets) => new(
        name, $"personas/{name}.yaml", 3, PersonaOps.Core.Kinds.PersonaKind.Identity.Id(live), live["persona_name"]!.GetValue<string>(), PlanAction.Update, Patch(patch), null,
        [], secrets, TestKeys.A.Document(live), []);

    public static PersonaPlan Delete(string name, JsonObject live) => new(
        name, $"personas/{name}.yaml", 1, PersonaOps.Core.Kinds.PersonaKind.Identity.Id(live), live["persona_name"]!.GetValue<string>(), PlanAction.Delete, new JsonPatchDocument([]), null,
        [], [], TestKeys.A.Document(live), []);

    public static PersonaPlan NoOp(string name, JsonObject live) => new(
        name, $"personas/{name}.yaml", 1, PersonaOps.Core.Kinds.PersonaKind.Identity.Id(live), live["persona_name"]!.GetValue<string>(), PlanAction.NoOp, new JsonPatchDocument([]), null,
        [], [], TestKeys.A.Document(live), []);

    public static Plan Plan(params PersonaPlan[] personas) => new("the test account", personas, []);

    public static IReadOnlyDictionary<string, JsonObject> ById(params JsonObject[] live) => ApplyPreparation.IndexById(live);
}
