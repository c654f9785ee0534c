using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Benchmarks;

/// <summary>
/// Diff and apply of a realistic persona: a 30 KB system prompt, tools, every layer. The goal is well
/// under a millisecond each.
/// </summary>
[MemoryDiagnoser]
public class JsonPatchBenchmarks
{
    private JsonNode? _live;
    private JsonNode? _desired;
    private JsonPatchDocument _patch = JsonPatchDocument.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _live = RealisticPersona.Create(promptVersion: 1);
        _desired = RealisticPersona.Create(promptVersion: 2);
        _patch = PatchGenerator.Create(_live, _desired);
    }

    [Benchmark]
    public JsonPatchDocument Diff() => PatchGenerator.Create(_live, _desired);

    [Benchmark]
    public PatchResult Apply() => _patch.Apply(_live);
}

/// <summary>A persona document of realistic size and shape.</summary>
public static class RealisticPersona
{
    public static JsonNode Create(int promptVersion)
    {
        var prompt = new StringBuilder();
        for (var i = 0; prompt.Length < 30_000; i++)
        {
            prompt.Append("Rule ").Append(i).Append(": answer the customer's question about plan ")
                .Append(i % 7 == 0 ? promptVersion : 1).Append(" politely and briefly.\n");
        }

        var tools = new JsonArray();
        for (var i = 0; i < 8; i++)
        {
            tools.Add(new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject
                {
                    ["name"] = $"tool_{i}",
                    ["description"] = $"Tool {i} v{promptVersion}",
                    ["parameters"] = JsonNode.Parse("""{"type":"object","properties":{"id":{"type":"string"},"count":{"type":"integer"}},"required":["id"]}"""),
                },
            });
        }

        return new JsonObject
        {
            ["persona_name"] = "Support",
            ["system_prompt"] = prompt.ToString(),
            ["pipeline_mode"] = "full",
            ["default_replica_id"] = "r665388ec672",
            ["document_tags"] = new JsonArray("faq", "pricing"),
            ["layers"] = new JsonObject
            {
                ["llm"] = new JsonObject { ["model"] = "tavus-gpt-oss", ["speculative_inference"] = true, ["tools"] = tools, ["extra_body"] = new JsonObject { ["temperature"] = 0.7 } },
                ["tts"] = new JsonObject { ["tts_engine"] = "cartesia", ["voice_settings"] = new JsonObject { ["speed"] = "normal" }, ["tts_emotion_control"] = promptVersion == 1 },
                ["stt"] = new JsonObject { ["stt_engine"] = "tavus-auto", ["hotwords"] = "Tavus, PersonaOps" },
                ["perception"] = new JsonObject { ["perception_model"] = "raven-1", ["visual_awareness_queries"] = new JsonArray("Is the user holding an ID?") },
                ["conversational_flow"] = new JsonObject { ["turn_detection_model"] = "sparrow-1", ["turn_taking_patience"] = promptVersion == 1 ? "medium" : "high" },
            },
        };
    }
}
