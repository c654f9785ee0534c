using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Importing;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Validation;

/// <summary>
/// A URL is not a secret field: whatever it carries is stored in clear in the persona and shown in every
/// plan. Credentials in one (user:password@, ?api_key=, &amp;sig=) are refused at validation (PO3015, at the
/// value), once resolved too, never quoted, and never imported into a manifest.
/// </summary>
public sealed class UrlCredentialsTests
{
    [Theory]
    [InlineData("https://user:pass@llm.example.com/v1", "a user name and password")]
    [InlineData("https://user@llm.example.com/v1", "a user name and password")]
    [InlineData("https://${env:U}:${env:P}@llm.example.com/v1", "a user name and password")]
    [InlineData("https://llm.example.com/v1?key=abc", "'key'")]
    [InlineData("https://llm.example.com/v1?model=m&api_key=abc", "'api_key'")]
    [InlineData("https://llm.example.com/v1?APIKEY=abc", "'APIKEY'")]
    [InlineData("https://llm.example.com/v1?Api-Key=abc", "'Api-Key'")]
    [InlineData("https://llm.example.com/v1?token", "'token'")]
    [InlineData("https://llm.example.com/v1?access_token=abc#frag", "'access_token'")]
    [InlineData("https://llm.example.com/v1?Secret=abc", "'Secret'")]
    [InlineData("https://llm.example.com/v1?password=abc", "'password'")]
    [InlineData("https://blob.example.com/c?sv=1;sig=abc", "'sig'")]
    [InlineData("https://llm.example.com/v1?SIGNATURE=abc", "'SIGNATURE'")]
    [InlineData("https://s3.example.com/o?X-Amz-Security-Token=abc", "'X-Amz-Security-Token'")]
    [InlineData("https://llm.example.com/v1?api%5Fkey=abc", "'api%5Fkey'")]
    public void ACredentialInAUrl_IsFound_AndStrippedForDisplay(string url, string what)
    {
        UrlCredentials.Find(url).ShouldNotBeNull().ShouldContain(what);
        var shown = UrlCredentials.Strip(url);
        shown.ShouldNotContain("abc");
        shown.ShouldNotContain(":pass");
        shown.ShouldNotContain("${env:P}");
        shown.ShouldContain("example.com");
    }

    [Theory]
    [InlineData("https://llm.example.com/v1")]
    [InlineData("https://llm.example.com/v1?model=gpt&region=eu&monkey=1")]
    [InlineData("https://llm.example.com/users/@me/v1")]
    [InlineData("https://llm.example.com/v1#token=fragment-is-not-sent")]
    [InlineData("${env:LLM_URL}")]
    [InlineData("not a url ? key = x")]
    public void AUrlWithoutCredentials_IsLeftAlone(string url)
    {
        UrlCredentials.Find(url).ShouldBeNull();
        UrlCredentials.Strip(url).ShouldBe(url);
    }

    private static string Manifest(string baseUrl) => $"""
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: You coach people.
          layers:
            llm:
              model: my-model
              base_url: {baseUrl}
        """;

    private static ValidationResult Validate(string yaml) =>
        ManifestValidator.Validate([new SourceFile("personas/coach.yaml", Encoding.UTF8.GetBytes(yaml))]);

    [Theory]
    [InlineData("https://tenant:hunter2-canary@llm.example.com/v1")]
    [InlineData("https://llm.example.com/v1?api_key=hunter2-canary")]
    [InlineData("\"https://llm.example.com/v1?Sig=hunter2-canary\"")]
    public void ValidationRefusesIt_AtTheValue_WithoutQuotingIt(string url)
    {
        var diagnostic = Validate(Manifest(url)).Diagnostics.Single(d => d.IsError);
        diagnostic.Code.ShouldBe("PO3015");
        diagnostic.File.ShouldBe("personas/coach.yaml");
        (diagnostic.Position.Line, diagnostic.Position.Column).ShouldBe((11, 17));
        diagnostic.Message.ShouldContain("spec.layers.llm.base_url carries credentials");
        diagnostic.Message.ShouldContain("header");
        diagnostic.Message.ShouldContain("${env:NAME}");
        diagnostic.Message.ShouldNotContain("hunter2");
        diagnostic.Message.ShouldNotContain("tenant");
    }

    [Fact]
    public void AUrlWhoseVariableBringsCredentials_IsRefusedOnceResolved_WithoutQuotingIt()
    {
        var result = Validate(Manifest("${env:LLM_URL}"));
        result.HasErrors.ShouldBeFalse();
        var resolved = DesiredResolver.Resolve(result.Manifests, name => name == "LLM_URL" ? "https://llm.example.com/v1?token=hunter2-canary" : null, requireSecrets: false);
        var diagnostic = resolved.Diagnostics.Single();
        diagnostic.Code.ShouldBe("PO3015");
        (diagnostic.Position.Line, diagnostic.Position.Column).ShouldBe((11, 17));
        diagnostic.Message.ShouldContain("once its ${env:...} references are resolved");
        diagnostic.Message.ShouldNotContain("hunter2");
        resolved.Resources.ShouldBeEmpty();

        DesiredResolver.Resolve(result.Manifests, name => name == "LLM_URL" ? "https://llm.example.com/v1" : null, requireSecrets: false).HasErrors.ShouldBeFalse();
    }

    [Fact]
    public void ImportLeavesACredentialedUrlOut_AndSaysWhy()
    {
        var live = JsonNode.Parse("""
            {"persona_id":"p0000000c0ac","persona_name":"Coach","system_prompt":"You coach.",
             "layers":{"llm":{"model":"m","base_url":"https://tenant:hunter2-canary@llm.example.com/v1?api_key=hunter3-canary"}}}
            """)!.AsObject();

        var imported = Importer.Import([live]).Single();

        imported.Yaml.ShouldNotContain("hunter");
        imported.Yaml.ShouldNotContain("tenant");
        imported.Yaml.ShouldNotContain("base_url");
        var note = imported.Notes.Single(n => n.Contains("base_url", StringComparison.Ordinal));
        note.ShouldContain("left out: it carries credentials");
        note.ShouldNotContain("hunter");
        Validate(imported.Yaml).HasErrors.ShouldBeFalse();
    }
}
