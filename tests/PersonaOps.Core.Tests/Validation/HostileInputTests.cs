using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PersonaOps.Core.Diagnostics;
using static PersonaOps.Core.Tests.Validation.ValidationHarness;

namespace PersonaOps.Core.Tests.Validation;

/// <summary>
/// Hostile input the core must bound: patterns that could backtrack, and text that could become a GitHub
/// workflow command. Each check runs under a generous bound that only turns a hang into a failure.
/// </summary>
public sealed class HostileInputTests
{
    /// <summary>Far beyond what any of these takes (milliseconds); reached only if the work is not bounded.</summary>
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(60);

    private static string WithIgnore(string pointer) =>
        Valid.Replace("  name: coach\n", $"  name: coach\n  ignore: ['{pointer}']\n", StringComparison.Ordinal);

    private static Task<Core.Validation.ValidationResult> Bounded(Func<Core.Validation.ValidationResult> validate) =>
        Task.Run(validate).WaitAsync(HangBound, TestContext.Current.CancellationToken);

    [Theory]
    [InlineData(28)]
    [InlineData(10_000)]
    public async Task AnIgnorePointerThatAlmostMatches_IsRefused_WithoutBacktracking(int segments)
    {
        // Every segment but a bad '~' at the end: the shape that made the old pattern take 42 s at 28 segments.
        var pointer = string.Concat(Enumerable.Repeat("/a", segments)) + "~";

        var result = await Bounded(() => Validate(("a.yaml", WithIgnore(pointer))));

        var d = result.Single("PO2005");
        d.ShouldBeAt("a.yaml", 5, 12);
        d.Message.ShouldStartWith("metadata.ignore[0] must be a JSON Pointer into spec");
    }

    [Fact]
    public async Task AnIgnorePointerOf10000Segments_IsAccepted_WhenWellFormed()
    {
        var pointer = string.Concat(Enumerable.Repeat("/a~0~1", 10_000));

        var result = await Bounded(() => Validate(("a.yaml", WithIgnore(pointer))));

        result.ShouldBeClean();
        result.Manifests.Single().Ignore.Single().Tokens.Count.ShouldBe(10_000);
    }

    [Fact]
    public async Task ABaseUrlOfManyReferences_ThatFailsAtTheEnd_IsRefused_InBoundedTime()
    {
        // Quadratic for the old pattern: every ${env:A} was a place to retry the rest of the string.
        var url = string.Concat(Enumerable.Repeat("${env:A}", 200_000)) + " x";
        var yaml = Valid + $"\n  layers:\n    llm:\n      model: m\n      base_url: '{url}'\n";

        var result = await Bounded(() => Validate(("a.yaml", yaml)));

        result.Diagnostics.Select(d => d.Code).ShouldContain("PO2005");
        result.Manifests.ShouldBeEmpty();
    }

    /// <summary>Every pattern in the schema, for the tests below.</summary>
    public static TheoryData<string> SchemaPatterns()
    {
        var data = new TheoryData<string>();
        foreach (var pattern in Patterns(JsonNode.Parse(Core.Schema.KindSchema.Persona.Text)).Distinct(StringComparer.Ordinal))
        {
            data.Add(pattern);
        }

        return data;

        static IEnumerable<string> Patterns(JsonNode? node) => node switch
        {
            JsonObject obj => obj.SelectMany(p => p.Key == "pattern" && p.Value is JsonValue v ? [v.GetValue<string>()] : Patterns(p.Value)),
            JsonArray array => array.SelectMany(Patterns),
            _ => [],
        };
    }

    [Theory]
    [MemberData(nameof(SchemaPatterns))]
    public void EverySchemaPattern_FailsFast_OnLongNearMisses(string pattern)
    {
        // NJsonSchema checks patterns with .NET's backtracking engine (Regex.IsMatch, no timeout), so every
        // pattern in the schema must be one that engine runs in linear time. Long runs of each pattern's own
        // building blocks, spoilt at the end, are where a pattern with ambiguous repetition explodes.
        string[] blocks = ["a", "/a", "~0", "a-", "${env:A}", "http://a", "_", "0", "r0", "/", "-"];
        foreach (var block in blocks)
        {
            foreach (var spoiler in new[] { "~", " ", "!", "\n", "${", "-" })
            {
                var input = string.Concat(Enumerable.Repeat(block, 5_000)) + spoiler;
                Should.NotThrow(() => Regex.IsMatch(input, pattern, RegexOptions.None, TimeSpan.FromSeconds(10)),
                    $"'{pattern}' backtracks on {block} x 5000 + {spoiler}");
            }
        }
    }

    [Theory]
    [InlineData("::stop-commands::tok", @"\u003a:stop-commands::tok")]
    [InlineData("   ::add-mask::x", @"   \u003a:add-mask::x")]
    [InlineData("\u00a0\u3000::error::x", "\u00a0\u3000\\u003a:error::x")]
    [InlineData("\t::set-output name=a::b", "\t\\u003a:set-output name=a::b")]
    [InlineData("see ##[add-mask]y and ##[set-output name=a;]b", @"see ##\u005badd-mask]y and ##\u005bset-output name=a;]b")]
    [InlineData("std::string and a: b", "std::string and a: b")]
    [InlineData("# heading [x]", "# heading [x]")]
    public void TextThatWouldBeAWorkflowCommand_IsMadeInert_AndOtherTextIsKept(string text, string shown) =>
        Core.Rendering.TextEscape.Control(text).ShouldBe(shown);

    [Fact]
    public void ADiagnosticAboutAFileNamedLikeACommand_StartsNoCommand_InTextOrGitHubFormat()
    {
        var d = DiagnosticCatalog.YamlSyntax.At("::stop-commands::tok.yaml", new SourcePosition(1, 5), "bad ##[add-mask]k\n::error::x");

        DiagnosticFormatter.FormatText(d).ShouldBe(@"\u003a:stop-commands::tok.yaml(1,5): error PO1004: bad ##\u005badd-mask]k\u000a::error::x");
        DiagnosticFormatter.FormatGitHub(d).ShouldBe(@"::error file=%3A%3Astop-commands%3A%3Atok.yaml,line=1,col=5,title=PO1004::PO1004: bad ##\u005badd-mask]k%0A::error::x");
    }

    [Fact]
    public void TwoToolsWithOneFunctionName_AreAnError_AtTheSecond()
    {
        var yaml = Valid + """

              layers:
                llm:
                  model: m
                  tools:
                    - type: function
                      function: {name: lookup}
                    - type: function
                      function: {name: other}
                    - type: function
                      function:
                        name: lookup
            """;

        var result = Validate(("a.yaml", yaml));

        var d = result.Single("PO2008");
        d.ShouldBeAt("a.yaml", 18, 19);
        d.Message.ShouldBe("spec.layers.llm.tools[2] has function.name 'lookup', as spec.layers.llm.tools[0] (line 13) has; each item needs its own, for Tavus tells them apart by it.");
        result.Manifests.ShouldBeEmpty();
    }

    [Fact]
    public void TwoVisualToolsWithOneFunctionName_AreAnError_AndOneNameInTwoListsIsNot()
    {
        var yaml = Valid + """

              layers:
                llm:
                  model: m
                  tools: [{type: function, function: {name: look}}]
                perception:
                  perception_model: raven-1
                  visual_tools: [{type: function, function: {name: look}}, {type: function, function: {name: look}}]
            """;

        var d = Validate(("a.yaml", yaml)).Single("PO2008");

        d.ShouldBeAt("a.yaml", 14, 98);
        d.Message.ShouldStartWith("spec.layers.perception.visual_tools[1] has function.name 'look'");
    }
}
