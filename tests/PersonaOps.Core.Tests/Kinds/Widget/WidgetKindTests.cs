using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Kinds.Widget;

/// <summary>
/// The pipeline (read, validate, resolve, identify, plan, render, save) with a kind defined here, beside the
/// persona kind: each step asks the resource's kind instead of assuming personas.
/// </summary>
public sealed class WidgetKindTests
{
    private const string Target = "https://api.example.com";

    private const string Widgets = """
        apiVersion: personaops/v1
        kind: Widget
        metadata:
          name: gear
        spec:
          widget_name: Gear ${env:STAGE}
          shape: square
          corners: 4
          token: ${env:WIDGET_TOKEN}
          labels: [metal, small]
          parts:
            - part: tooth
              count: 24
            - part: axle
              count: 1
        ---
        apiVersion: personaops/v1
        kind: Widget
        metadata:
          name: wheel
        spec:
          widget_name: Wheel
          shape: round
        ---
        apiVersion: personaops/v1
        kind: Widget
        metadata:
          name: old
          ensure: absent
        spec:
          widget_name: Old
        ---
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: gear
        spec:
          persona_name: Gear prod
          system_prompt: A persona and a widget may share a name and a metadata.name.
        """;

    private static readonly Dictionary<string, string> Environment = new() { ["STAGE"] = "prod", ["WIDGET_TOKEN"] = "t0ken-value" };

    private static ValidationResult Validate(string yaml) =>
        ManifestValidator.Validate([new SourceFile("widgets/all.yaml", Encoding.UTF8.GetBytes(yaml))], WidgetKind.Registry);

    private static Plan PlanAgainst(IReadOnlyList<JsonObject> widgets, IReadOnlyList<JsonObject>? personas = null)
    {
        var validation = Validate(Widgets);
        validation.Diagnostics.ShouldBeEmpty(string.Join("\n", validation.Diagnostics.Select(DiagnosticFormatter.FormatText)));
        var resolved = DesiredResolver.Resolve(validation.Manifests, n => Environment.GetValueOrDefault(n), requireSecrets: false);
        resolved.HasErrors.ShouldBeFalse();
        return Planner.Create(TestKeys.Target(Target), resolved, kind => kind == WidgetKind.Descriptor ? widgets.Select(WidgetKind.Identity.Normalize).ToArray() : personas ?? [], n => Environment.GetValueOrDefault(n));
    }

    [Fact]
    public void Validation_UsesTheKindsSchemaAndRules_WithPositions()
    {
        var result = Validate("""
            apiVersion: personaops/v1
            kind: Widget
            metadata:
              name: bad
            spec:
              widget_name: Bad
              shape: oval
              colour: red
              token: literal-secret
            ---
            apiVersion: personaops/v1
            kind: Widget
            metadata:
              name: round
            spec:
              widget_name: Round
              shape: round
              corners: 3
            """);

        var text = result.Diagnostics.Select(DiagnosticFormatter.FormatText).ToArray();
        text.ShouldContain(d => d.StartsWith("widgets/all.yaml(7,10): error PO2004", StringComparison.Ordinal) && d.Contains("round", StringComparison.Ordinal));
        text.ShouldContain(d => d.StartsWith("widgets/all.yaml(8,3): error PO2003", StringComparison.Ordinal));
        text.ShouldContain(d => d.StartsWith("widgets/all.yaml(9,10): error PO3005", StringComparison.Ordinal));
        text.ShouldContain(d => d.StartsWith("widgets/all.yaml(18,3): error PO2000", StringComparison.Ordinal) && d.Contains("round widget has no corners", StringComparison.Ordinal));
        text.ShouldNotContain(d => d.Contains("system_prompt", StringComparison.Ordinal), "the persona kind's rules are the persona kind's");
    }

    [Fact]
    public void Manifests_KnowTheirKind_AndNamesAreUniquePerKind()
    {
        var result = Validate(Widgets);

        result.Diagnostics.ShouldBeEmpty();
        result.Manifests.Select(m => m.Address).ShouldBe(["widget.gear", "widget.wheel", "widget.old", "persona.gear"]);

        var twice = Validate(Widgets + "\n---\n" + Widgets.Split("---")[1]);
        twice.Diagnostics.Select(d => d.Code).ShouldBe(["PO3003", "PO3004"], ignoreOrder: true);
    }

    [Fact]
    public void Identity_MatchesByTheKindsResolvedName_ThroughItsAliases_AndPlansEachKindAgainstItsOwnLiveResources()
    {
        var live = new[]
        {
            JsonNode.Parse("""{"gadget_id":"w1","gadget_name":"Gear prod","shape":"square","corners":6,"labels":["small","metal"],"parts":[{"part":"axle","count":1},{"part":"tooth","count":20}]}""")!.AsObject(),
            JsonNode.Parse("""{"widget_id":"w9","widget_name":"Old","shape":"round"}""")!.AsObject(),
        };
        var personas = new[] { JsonNode.Parse("""{"persona_id":"p1","persona_name":"Gear prod","system_prompt":"A persona and a widget may share a name and a metadata.name."}""")!.AsObject() };

        var plan = PlanAgainst(live, personas);

        plan.Errors.ShouldBeEmpty();
        var byAddress = plan.Personas.ToDictionary(p => p.Address);
        byAddress["widget.gear"].Action.ShouldBe(PlanAction.Update);
        byAddress["widget.gear"].LiveId.ShouldBe("w1");
        byAddress["widget.gear"].PersonaName.ShouldBe("Gear prod");
        byAddress["widget.wheel"].Action.ShouldBe(PlanAction.Create);
        byAddress["widget.old"].Action.ShouldBe(PlanAction.Delete);
        byAddress["persona.gear"].Action.ShouldBe(PlanAction.NoOp, "the persona named like a widget is matched among personas only");
        byAddress["widget.gear"].Patch.ToJson().ToJsonString().ShouldContain("\"/corners\"");
        byAddress["widget.gear"].Patch.ToJson().ToJsonString().ShouldContain("\"/parts\"");
        byAddress["widget.gear"].Patch.ToJson().ToJsonString().ShouldNotContain("labels", customMessage: "labels are a set: the same labels in another order are no change");
        byAddress["widget.gear"].UncomparableSecrets.ShouldBe(["/token"], "the kind's writeOnly field is its secret, and this API does not return it");
    }

    [Fact]
    public void Identity_ProblemsAreDiagnostics_InTheKindsWords()
    {
        var live = new[]
        {
            JsonNode.Parse("""{"widget_id":"w1","widget_name":"Wheel"}""")!.AsObject(),
            JsonNode.Parse("""{"widget_id":"w2","widget_name":"Wheel"}""")!.AsObject(),
        };

        var plan = PlanAgainst(live);

        var error = plan.Errors.ShouldHaveSingleItem();
        error.Code.ShouldBe("PO5001");
        error.Message.ShouldContain("2 live widgets are named 'Wheel' (w1, w2)");
        DiagnosticFormatter.FormatText(error).ShouldStartWith("widgets/all.yaml(22,16): error PO5001");
    }

    [Fact]
    public void Rendering_NamesTheKind_AndDiffsByTheKindsSchema()
    {
        var live = new[]
        {
            JsonNode.Parse("""{"widget_id":"w1","widget_name":"Gear prod","shape":"square","corners":6,"token":"old-token","labels":["metal"],"parts":[{"part":"axle","count":1},{"part":"tooth","count":20}]}""")!.AsObject(),
        };
        var plan = PlanAgainst(live);

        plan.Personas.Single(p => p.Address == "widget.gear").Secrets.Select(s => s.Pointer).ShouldBe(["/token"], "the kind's writeOnly field is its secret, and it differs");
        var text = PlanTextRenderer.Render(plan, kinds: WidgetKind.Registry);
        var markdown = PlanMarkdownRenderer.Render(plan, kinds: WidgetKind.Registry);

        text.ShouldContain("~ widget \"gear\" {");
        text.ShouldContain("+ widget \"wheel\" {");
        text.ShouldContain("~ corners = 6 -> 4");
        text.ShouldContain("# part = \"tooth\"", customMessage: "parts are matched by the kind's x-personaops-key");
        text.ShouldContain("~ count = 20 -> 24");
        text.ShouldContain("+ \"small\"");
        text.ShouldContain("token");
        text.ShouldContain("(sensitive value)");
        text.ShouldNotContain("t0ken-value");
        text.ShouldNotContain("old-token");
        markdown.ShouldContain("<code>widget.gear</code>");
        markdown.ShouldNotContain("old-token");
    }

    [Fact]
    public void PlanFiles_KeepTheKind_AndAreRefusedWhereTheKindIsUnknown()
    {
        var plan = PlanAgainst([]);
        var json = PlanDocument.Serialize(plan);

        PlanDocument.TryParse(json, out var parsed, out var error, WidgetKind.Registry).ShouldBeTrue(error);
        parsed!.Personas.Select(p => p.Address).ShouldBe(plan.Personas.Select(p => p.Address));

        PlanDocument.TryParse(json, out _, out error).ShouldBeFalse("the built-in registry does not manage widgets");
        error.ShouldContain("widget.gear, of a kind this PersonaOps does not manage");
    }

    [Fact]
    public void WithoutItsRegistration_AWidgetIsAnUnknownKind()
    {
        var result = ManifestValidator.Validate([new SourceFile("widgets/all.yaml", Encoding.UTF8.GetBytes(Widgets))]);

        result.Diagnostics.ShouldContain(d => d.Code == "PO2004" && d.Position.Line == 2);
    }
}
