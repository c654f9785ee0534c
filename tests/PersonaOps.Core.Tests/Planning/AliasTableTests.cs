using PersonaOps.Core.Applying;
using System.Text.Json.Nodes;
using PersonaOps.Core.Importing;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Tests.Planning;

/// <summary>The persona kind's alias table: PAL-era names in, one vocabulary out, and no guessing when the two disagree.</summary>
public sealed class AliasTableTests
{
    private static readonly KindIdentity Identity = PersonaKind.Identity;

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void EveryPalEraName_IsMappedToItsLegacyName()
    {
        var normalized = Identity.Normalize(Json("""
            {"pal_id":"p1","pal_name":"Coach","pal_type":"user","default_face_id":"r1","system_prompt":"x",
             "layers":{"conversational_flow":{"pal_interruptibility":"high","turn_taking_patience":"low"}}}
            """));
        JsonEquality.DeepEquals(normalized, Json("""
            {"persona_id":"p1","persona_name":"Coach","persona_type":"user","default_replica_id":"r1","system_prompt":"x",
             "layers":{"conversational_flow":{"replica_interruptibility":"high","turn_taking_patience":"low"}}}
            """)).ShouldBeTrue(normalized.ToJsonString());
        (Identity.Id(normalized), Identity.Name(normalized)).ShouldBe(("p1", "Coach"));
    }

    [Fact]
    public void BothNamesWithOneValue_AreKeptOnce_AndANullGivesWay()
    {
        var normalized = Identity.Normalize(Json("""{"persona_id":"p1","pal_id":"p1","persona_name":null,"pal_name":"Coach","default_replica_id":"r1","default_face_id":null}"""));
        normalized.ToJsonString().ShouldBe("""{"persona_id":"p1","persona_name":"Coach","default_replica_id":"r1"}""");
    }

    [Theory]
    [InlineData("""{"persona_id":"p1","pal_id":"p2","persona_name":"Coach"}""", "persona_id (\"p1\") and pal_id (\"p2\")")]
    [InlineData("""{"persona_id":"p1","persona_name":"Coach","pal_name":"Tutor"}""", "persona_name (\"Coach\") and pal_name (\"Tutor\")")]
    [InlineData("""{"pal_id":"p1","layers":{"conversational_flow":{"replica_interruptibility":"low","pal_interruptibility":"high"}}}""", "layers.conversational_flow.replica_interruptibility")]
    public void TwoNamesThatDisagree_AreAConflict_NeverAGuess(string json, string expected)
    {
        Identity.TryNormalize(Json(json), out var normalized, out var conflict).ShouldBeFalse();
        normalized.ShouldBeNull();
        var message = conflict!.Describe("persona");
        message.ShouldStartWith("persona p1 came back with both ");
        message.ShouldContain(expected);
        Should.Throw<AliasConflictException>(() => Identity.Normalize(Json(json))).Message.ShouldBe(message);
    }

    [Fact]
    public void WithAliases_IsTheReverse()
    {
        var legacy = Json("""{"persona_id":"p1","persona_name":"Coach","layers":{"conversational_flow":{"replica_interruptibility":"low"}}}""");
        var pal = Identity.WithAliases(legacy);
        pal.ToJsonString().ShouldBe("""{"layers":{"conversational_flow":{"pal_interruptibility":"low"}},"pal_id":"p1","pal_name":"Coach"}""");
        Identity.Id(pal).ShouldBeNull("the one id reader reads the one vocabulary: normalise first");
        JsonEquality.DeepEquals(Identity.Normalize(pal), legacy).ShouldBeTrue();
        pal.ContainsKey("pal_id").ShouldBeTrue("the input is never changed");
        Identity.Normalize(legacy).ShouldBeSameAs(legacy, "nothing to rename, nothing copied");
        JsonEquality.DeepEquals(Identity.Normalize(Identity.WithAliases(legacy, keepBoth: true)), legacy).ShouldBeTrue();
    }

    [Fact]
    public void ATableWithAFieldTwice_IsRefused()
    {
        Should.Throw<ArgumentException>(() => new KindIdentity("x", "x_id", "x_name", [new FieldAlias("/x_id", "/y_id"), new FieldAlias("/x_id", "/z_id")]));
        Should.Throw<ArgumentException>(() => new FieldAlias("/a/b", "/c"));
    }

    [Fact]
    public void ImportAndTheRaceRule_ReadNormalisedPalEraPersonas()
    {
        var pal = Identity.Normalize(Json("""{"pal_id":"p0000000000c","pal_name":"Coach","system_prompt":"You coach.","created_at":"2026-11-29T10:00:00Z"}"""));
        var imported = Importer.Import([pal]).Single();
        (imported.Name, imported.PersonaId).ShouldBe(("coach", "p0000000000c"));
        imported.Yaml.ShouldContain("persona_name: Coach");

        var race = CreateRace.Find([new NewPersona("persona.coach", "Coach", "p-ours")], [pal], new HashSet<string>()).Single();
        race.OtherIds.ShouldBe(["p0000000000c"]);
    }
}
