using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Tests.JsonPatch;

/// <summary>
/// Every case of the public JSON Patch test suite (json-patch-test-suite@1.1.0: tests.json and
/// spec_tests.json) as its own test. Cases the suite marks disabled are reported as skipped with its reason.
/// </summary>
public sealed class ConformanceSuiteTests
{
    public static TheoryData<SuiteCase> Cases()
    {
        var data = new TheoryData<SuiteCase>();
        foreach (var file in new[] { "tests.json", "spec_tests.json" })
        {
            var path = Path.Combine(AppContext.BaseDirectory, "json-patch-test-suite", file);
            var cases = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
            for (var i = 0; i < cases.Count; i++)
            {
                data.Add(new SuiteCase(file, i, cases[i]!.ToJsonString()));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_BehavesAsTheSuiteExpects(SuiteCase suiteCase)
    {
        var test = JsonNode.Parse(suiteCase.Json)!.AsObject();
        if (test["disabled"]?.GetValue<bool>() == true)
        {
            Assert.Skip($"disabled by the suite: {test["comment"] ?? test["error"]}");
        }

        var document = test["doc"];
        var before = document?.DeepClone();
        var parsed = JsonPatchDocument.TryParse(test["patch"], out var patch, out var parseError);
        var result = parsed ? patch!.Apply(document) : null;

        if (test.ContainsKey("error"))
        {
            (parsed && result!.Succeeded).ShouldBeFalse($"expected an error: {test["error"]}");
            if (result is not null)
            {
                result.Error.ShouldNotBeNullOrWhiteSpace();
            }
            else
            {
                parseError.ShouldNotBeNullOrWhiteSpace();
            }
        }
        else
        {
            parsed.ShouldBeTrue(parseError);
            result!.Succeeded.ShouldBeTrue(result.Error);
            if (test.TryGetPropertyValue("expected", out var expected))
            {
                JsonEquality.DeepEquals(result.Document, expected).ShouldBeTrue(
                    $"got {result.Document?.ToJsonString() ?? "null"}, expected {expected?.ToJsonString() ?? "null"}");
            }
        }

        JsonEquality.DeepEquals(document, before).ShouldBeTrue("the input document must never be modified");
    }

    /// <summary>One suite record; serialisable so that each shows as its own test case.</summary>
    public sealed record SuiteCase(string File, int Index, string Json)
    {
        public override string ToString()
        {
            var comment = JsonNode.Parse(Json)?["comment"]?.GetValue<string>();
            return $"{File}#{Index}: {comment ?? "(no comment)"}";
        }
    }
}
