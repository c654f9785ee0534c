using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Validation;

namespace PersonaOps.Benchmarks;

/// <summary>
/// The per-persona hot paths of plan: loading and validating one manifest (YAML with positions, the JSON
/// Schema, the rules beyond it), planning it against its live persona (the schema-driven diff and patch
/// generation), and rendering the plan as text and Markdown.
/// </summary>
[MemoryDiagnoser]
public class PlanningBenchmarks
{
    private const string Yaml = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: guide
        spec:
          persona_name: Guide
          system_prompt: |
            You are a friendly guide for new customers.
            Greet them by name, find out what they need, and keep answers short.
            Never promise refunds; hand billing disputes to a human colleague.
          pipeline_mode: full
          default_replica_id: r665388ec672
          layers:
            llm:
              model: my-llm
              base_url: https://llm.example.com/v1
              api_key: ${env:LLM_KEY}
              tools:
                - type: function
                  function:
                    name: lookup_order
                    description: Look up an order by its number.
                    parameters: {type: object, properties: {order_number: {type: string}}, required: [order_number]}
            tts:
              tts_engine: cartesia
            perception:
              perception_model: raven-1
              visual_awareness_queries: [Is the user holding a document?]
            conversational_flow:
              turn_taking_patience: high
        """;

    private SourceFile[] _file = [];
    private Manifest[] _manifests = [];
    private JsonObject[] _live = [];
    private Plan? _plan;

    [GlobalSetup]
    public void Setup()
    {
        _file = [new SourceFile("personas/guide.yaml", Encoding.UTF8.GetBytes(Yaml))];
        _manifests = [.. ManifestValidator.Validate(_file).Manifests];
        var live = _manifests[0].Spec!.DeepClone().AsObject();
        live["persona_id"] = "p0123456789a";
        live["system_prompt"] = "You are a guide.\nKeep answers short.\n";
        live["layers"]!["llm"]!["api_key"] = "sk-live";
        _live = [live];
        _plan = Plan();
    }

    [Benchmark]
    public ValidationResult LoadAndValidateOneManifest() => ManifestValidator.Validate(_file);

    [Benchmark]
    public ResolveResult ResolveOneManifest() => DesiredResolver.Resolve(_manifests, Environment, requireSecrets: true);

    [Benchmark]
    public Plan PlanOnePersona() => Plan();

    [Benchmark]
    public string RenderText() => PlanTextRenderer.Render(_plan!);

    [Benchmark]
    public string RenderMarkdown() => PlanMarkdownRenderer.Render(_plan!);

    private static string? Environment(string name) => name == "LLM_KEY" ? "sk-new" : null;

    private Plan Plan() => Planner.Create(new PlanTarget("https://tavusapi.com", PlanKey.FromApiKey("benchmark-key")), _manifests, _live, Environment);
}
