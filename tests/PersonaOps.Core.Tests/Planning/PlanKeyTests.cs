using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Planning;

/// <summary>
/// Whoever holds a plan file (a CI artifact, a pull-request comment) cannot recover a secret from it: every
/// fingerprint in it is an HMAC under the account's key, which plan and apply have and the file's holder does
/// not. An unkeyed SHA-256 of <c>X-Tenant: tenant-42</c> was one loop of guesses away from the value.
/// </summary>
public sealed class PlanKeyTests
{
    private const string Tenant = "tenant-42";

    private static Plan TenantPlan(PlanKey key, string? live = null)
    {
        var yaml = """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: Coach
              system_prompt: You coach.
              layers:
                llm:
                  model: m
                  base_url: https://llm.example.com/v1
                  headers:
                    X-Tenant: ${env:TENANT}
            """;
        var result = ManifestValidator.Validate([new SourceFile("personas/coach.yaml", Encoding.UTF8.GetBytes(yaml))]);
        result.HasErrors.ShouldBeFalse(string.Join("\n", result.Diagnostics));
        var liveDocs = live is null ? Array.Empty<JsonObject>() : [JsonNode.Parse(live)!.AsObject()];
        var plan = Planner.Create(new PlanTarget("https://tavusapi.com", key), result.Manifests, liveDocs, name => name == "TENANT" ? Tenant : null);
        plan.Errors.ShouldBeEmpty();
        return plan;
    }

    private const string LiveCoach = """{"persona_id":"p0000000c0ac","persona_name":"Coach","system_prompt":"You coached.","layers":{"llm":{"model":"m","base_url":"https://llm.example.com/v1","headers":{"X-Tenant":"tenant-41"}}}}""";

    [Fact]
    public void TheSameSecret_HasAnotherFingerprintUnderAnotherKey()
    {
        TestKeys.A.Secret(Tenant).ShouldNotBe(TestKeys.B.Secret(Tenant));
        TestKeys.A.Secret(Tenant).ShouldBe(PlanKey.FromApiKey("test-account-a-key").Secret(Tenant), "the same key must give the same fingerprint, or apply could never check one");
        TestKeys.A.Secret(Tenant).ShouldNotBe(TestKeys.A.Secret("tenant-43"));

        var a = TenantPlan(TestKeys.A).Personas.Single().Secrets.Single();
        var b = TenantPlan(TestKeys.B).Personas.Single().Secrets.Single();
        a.Pointer.ShouldBe(b.Pointer);
        a.Fingerprint.ShouldNotBeNull();
        a.Fingerprint.ShouldNotBe(b.Fingerprint);
    }

    [Fact]
    public void NoFingerprintInAPlanFile_IsAnUnkeyedHashOfTheSecret()
    {
        foreach (var live in new[] { null, LiveCoach })
        {
            var file = PlanDocument.Serialize(TenantPlan(TestKeys.A, live));
            file.ShouldNotContain(Tenant);

            // Every unkeyed form a reversing script would try: the value, with the old label, as text and in any prefix of 12 hex digits or more.
            foreach (var form in new[] { Tenant, "personaops-secret:" + Tenant, "X-Tenant: " + Tenant })
            {
                var hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(form)));
                file.ShouldNotContain(hex[..12], customMessage: $"the plan file holds an unkeyed SHA-256 of '{form}'");
            }

            // The live document's fingerprint is keyed too: the live persona holds the old tenant in clear.
            if (live is not null)
            {
                var liveHash = CanonicalJson.Hash(JsonNode.Parse(live));
                file.ShouldNotContain(liveHash["sha256:".Length..][..12]);
            }
        }
    }

    [Fact]
    public void ThePlanRecordsTheAccount_WhichDiffersByKey_AndSaysNothingOfTheKey()
    {
        var a = TenantPlan(TestKeys.A);
        var b = TenantPlan(TestKeys.B);
        a.Account.ShouldBe(TestKeys.A.Account);
        a.Account.ShouldNotBe(b.Account);
        var file = PlanDocument.Serialize(a);
        file.ShouldNotContain("test-account-a-key");
        foreach (var form in new[] { "test-account-a-key", "personaops account" })
        {
            file.ShouldNotContain(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(form)))[..12]);
        }

        PlanDocument.Fingerprint(a).ShouldNotBe(PlanDocument.Fingerprint(a with { Account = b.Account }), "the plan fingerprint covers the account");
    }

    [Fact]
    public void APlanMadeUnderOneKey_IsStaleAndItsSecretsChanged_UnderAnother()
    {
        var plan = TenantPlan(TestKeys.A, LiveCoach);
        var live = JsonNode.Parse(LiveCoach)!.AsObject();
        var reads = new Dictionary<string, JsonObject?> { ["p0000000c0ac"] = live };
        StaleCheck.Check(plan, [live], reads, TestKeys.A).IsStale.ShouldBeFalse();
        StaleCheck.Check(plan, [live], reads, TestKeys.B).Stale.Single().Reason.ShouldBe(StaleReason.Changed);

        Func<string, string?> env = name => name == "TENANT" ? Tenant : null;
        var byId = ApplyPreparation.IndexById([live]);
        ApplyPreparation.Prepare(plan, env, byId, TestKeys.A).CanStart.ShouldBeTrue();
        var refused = ApplyPreparation.Prepare(plan, env, byId, TestKeys.B);
        refused.CanStart.ShouldBeFalse();
        refused.Problems.Single().Code.ShouldBe(Diagnostics.DiagnosticCatalog.SecretChangedSincePlan.Code);
    }

    [Fact]
    public void KeyMaterial_MustBeLongEnough_AndAKeyNeverPrintsItself()
    {
        Should.Throw<ArgumentException>(() => PlanKey.FromKeyMaterial(new byte[8]));
        Should.Throw<ArgumentException>(() => PlanKey.FromApiKey(""));
        var material = RandomNumberGenerator.GetBytes(32);
        var key = PlanKey.FromKeyMaterial(material);
        key.ToString().ShouldNotContain(Convert.ToHexString(material)[..8], Case.Insensitive);
        new PlanTarget("t", key).ToString().ShouldNotContain(Convert.ToHexString(material)[..8], Case.Insensitive);
        PlanKey.FromKeyMaterial(material).Account.ShouldBe(key.Account);
    }
}
