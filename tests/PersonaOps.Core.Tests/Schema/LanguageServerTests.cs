using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Schema;

/// <summary>
/// One yaml-language-server for the tests of the class, and a folder laid out as a repository is: the
/// schema under schemas/ (the text PersonaOps embeds) and manifests under personas/, which find it through
/// the same first-line comment as the README's.
/// </summary>
public sealed class LanguageServerFixture : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "personaops-editor-" + Guid.NewGuid().ToString("n"));

    public LanguageServerClient Server { get; private set; } = null!;

    public string Manifest(string name) => Path.Combine(Folder, "personas", name);

    public async ValueTask InitializeAsync()
    {
        var schema = Path.Combine(Folder, "schemas", "persona", "v1", "persona.schema.json");
        Directory.CreateDirectory(Path.GetDirectoryName(schema)!);
        Directory.CreateDirectory(Path.Combine(Folder, "personas"));
        await File.WriteAllTextAsync(schema, KindSchema.Persona.Text);
        Server = await LanguageServerClient.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>
/// What a user's editor shows, asked of yaml-language-server itself over its stdio protocol: deprecated
/// fields and values are flagged with the schema's deprecationMessage, and completion in spec offers the
/// fields a manifest may set and none that Tavus owns or has deprecated.
/// </summary>
public sealed class LanguageServerTests(LanguageServerFixture fixture) : IClassFixture<LanguageServerFixture>
{
    private const string Modeline = "# yaml-language-server: $schema=../schemas/persona/v1/persona.schema.json\n";

    private static string[] ServerOwned => KindSchema.Persona.Spec.PropertyNames.Where(n => KindSchema.Persona.Spec.Member(n)!.IsReadOnly).ToArray();

    private static string[] DeprecatedIn(SchemaField field) => field.PropertyNames.Where(n => field.Member(n)!.Deprecation is not null).ToArray();

    private static string DeprecationMessage(string pointer) =>
        JsonNode.Parse(KindSchema.Persona.Text)!["definitions"]!.AsObject().Select(d => d.Value!["properties"]?[pointer])
            .Single(p => p is not null)!["deprecationMessage"]!.GetValue<string>();

    [Fact]
    public async Task DeprecatedFieldsAndValues_AreFlagged_WhereTheCliWarns()
    {
        const string yaml = Modeline + """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: old-coach
            spec:
              persona_name: Old Coach
              system_prompt: You coach people.
              context: Extra background.
              disclosure_type: auto
              verbal_disclosure: sometimes
              layers:
                llm:
                  model: tavus-gpt-4o
                tts:
                  tts_engine: playht
                perception:
                  perception_model: raven-1
                  perception_tools: []
            """;
        var path = fixture.Manifest("old-coach.yaml");
        var diagnostics = (await fixture.Server.OpenAsync(path, yaml))
            .Select(d => (Line: d!["range"]!["start"]!["line"]!.GetValue<int>(), Message: d["message"]!.GetValue<string>()))
            .OrderBy(d => d.Line)
            .ToArray();

        // Lines are zero-based and count the modeline.
        diagnostics.ShouldBe(
        new (int, string)[]
        {
            (8, DeprecationMessage("context")),
            (10, "Value is not accepted. Valid values: \"always\", \"auto\", \"off\"."),
            (13, "'tavus-gpt-4o' is deprecated by Tavus on 2026-02-17; use tavus-gpt-oss, tavus-gpt-5.2 or another hosted model."),
            (15, "'playht' is removed by Tavus on 2026-01-08; use cartesia, elevenlabs or azure."),
            (18, DeprecationMessage("perception_tools")),
        }, $"the server's stderr:\n{fixture.Server.Stderr}");

        // PersonaOps warns on the same lines (its lines are one-based), so editor and CLI agree.
        var cli = ManifestValidator.Validate([new SourceFile("personas/old-coach.yaml", Encoding.UTF8.GetBytes(yaml))]).Diagnostics;
        cli.Where(d => d.Code is "PO4001" or "PO4002").Select(d => d.Position.Line - 1).Order()
            .ShouldBe(diagnostics.Where(d => !d.Message.StartsWith("Value is not accepted", StringComparison.Ordinal)).Select(d => d.Line));
    }

    [Fact]
    public async Task CurrentFieldsAndValues_AreNotFlagged()
    {
        const string yaml = Modeline + """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: Coach
              system_prompt: You coach people.
              visual_disclosure: always
              layers:
                llm:
                  model: tavus-gpt-oss
                tts:
                  tts_engine: cartesia
                stt:
                  stt_engine: tavus-auto
                perception:
                  perception_model: raven-1
                  visual_tools: []
                conversational_flow:
                  turn_taking_patience: high
            """;
        (await fixture.Server.OpenAsync(fixture.Manifest("coach.yaml"), yaml)).ShouldBeEmpty();
    }

    [Fact]
    public async Task CompletionInSpec_OffersFieldsAManifestMaySet_AndNoServerOwnedOrDeprecatedOne()
    {
        const string yaml = Modeline + """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: new-coach
            spec:
              persona_name: New Coach
            """ + "\n  ";
        var path = fixture.Manifest("new-coach.yaml");
        await fixture.Server.OpenAsync(path, yaml);
        var labels = await fixture.Server.CompleteAsync(path, line: 7, character: 2);

        labels.ShouldContain("system_prompt");
        labels.ShouldContain("pipeline_mode");
        labels.ShouldContain("default_replica_id");
        labels.ShouldContain("layers");
        labels.ShouldContain("disclosure_type");
        ServerOwned.ShouldContain("persona_id");
        labels.ShouldNotContain("persona_name"); // already set
        foreach (var name in ServerOwned.Concat(DeprecatedIn(KindSchema.Persona.Spec)))
        {
            labels.ShouldNotContain(name, $"offered: {string.Join(", ", labels)}");
        }

        // Everything else the spec declares is offered.
        KindSchema.Persona.Spec.PropertyNames.Except(ServerOwned).Except(DeprecatedIn(KindSchema.Persona.Spec)).Except(["persona_name"])
            .ShouldBe(labels, ignoreOrder: true);
    }

    [Fact]
    public async Task CompletionInALayer_SkipsDeprecatedFieldsBehindWrappedReferences()
    {
        const string yaml = Modeline + """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: watcher
            spec:
              persona_name: Watcher
              system_prompt: You watch.
              layers:
                perception:
                  perception_model: raven-1
            """ + "\n      ";
        var path = fixture.Manifest("watcher.yaml");
        await fixture.Server.OpenAsync(path, yaml);
        var labels = await fixture.Server.CompleteAsync(path, line: 11, character: 6);

        var perception = KindSchema.Persona.Spec.Member("layers")!.Member("perception")!;
        DeprecatedIn(perception).ShouldContain("perception_tools");
        labels.ShouldContain("visual_tools");
        labels.ShouldContain("visual_awareness_queries");
        perception.PropertyNames.Except(DeprecatedIn(perception)).Except(["perception_model"]).ShouldBe(labels, ignoreOrder: true);
    }

    [Fact]
    public async Task ValueCompletion_FollowsAWrappedReference()
    {
        const string yaml = Modeline + """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: discloser
            spec:
              persona_name: Discloser
            """ + "\n  disclosure_type: ";
        var path = fixture.Manifest("discloser.yaml");
        await fixture.Server.OpenAsync(path, yaml);
        var labels = await fixture.Server.CompleteAsync(path, line: 7, character: 19);
        labels.Select(l => l.Trim('"')).ShouldBe(new[] { "always", "auto", "off" }, ignoreOrder: true);
    }
}
