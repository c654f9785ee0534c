using System.Text.Json.Nodes;

namespace PersonaOps.Core.Tests.Validation;

/// <summary>
/// YAML that reads as something other than what its author wrote unless the reader is careful: integers
/// beyond 64 bits in hexadecimal and octal (two's complement would make them negative), and merge keys
/// (<c>&lt;&lt;: *base</c>), which YAML 1.2 does not have, so a free-form object would send a literal
/// <c>"&lt;&lt;"</c> member instead of the merged values the author meant.
/// </summary>
public sealed class YamlValueTests
{
    private static string Manifest(string extraBody) => ValidationHarness.Valid + $"\n  layers:\n    llm:\n      model: m\n      extra_body:\n{extraBody}\n";

    private static JsonNode? ExtraBody(string extraBody)
    {
        var result = ValidationHarness.Validate(("personas/coach.yaml", Manifest(extraBody)));
        result.Diagnostics.Where(d => d.IsError).ShouldBeEmpty(string.Join("\n", result.Diagnostics));
        return result.Manifests.Single().Spec!["layers"]!["llm"]!["extra_body"];
    }

    [Theory]
    [InlineData("0x7FFFFFFFFFFFFFFF", "9223372036854775807")]
    [InlineData("0x8000000000000000", "9223372036854775808")]
    [InlineData("0xFFFFFFFFFFFFFFFF", "18446744073709551615")]
    [InlineData("0x10000000000000000", "18446744073709551616")]
    [InlineData("0o777777777777777777777", "9223372036854775807")]
    [InlineData("0o1000000000000000000000", "9223372036854775808")]
    [InlineData("0o1777777777777777777777", "18446744073709551615")]
    [InlineData("0x1F", "31")]
    [InlineData("0o17", "15")]
    public void AHexOrOctalInteger_ReadsAsItsValue_NeverWrappedNegative(string written, string value)
    {
        ExtraBody($"        n: {written}")!["n"]!.ToJsonString().ShouldBe(value);
    }

    [Theory]
    [InlineData("0x1000000000000000000000000000000")]
    [InlineData("0o7777777777777777777777777777777777777")]
    public void AHexOrOctalIntegerNoNumberCanHold_IsAnErrorAtIt(string written)
    {
        var result = ValidationHarness.Validate(("personas/coach.yaml", Manifest($"        n: {written}")));

        var error = result.Single("PO1009");
        error.ShouldBeAt("personas/coach.yaml", 12, 12);
        error.Message.ShouldContain($"'{written}'");
    }

    [Theory]
    [InlineData("        base: &base {temperature: 1}\n        tuned:\n          <<: *base\n          top_p: 1", 14, 11)]
    [InlineData("        <<: {temperature: 1}", 12, 9)]
    [InlineData("        <<: [{a: 1}, {b: 2}]", 12, 9)]
    public void AMergeKey_IsAnErrorAtIt_NeverALiteralMember(string extraBody, int line, int column)
    {
        var result = ValidationHarness.Validate(("personas/coach.yaml", Manifest(extraBody)));

        var error = result.Single("PO1009");
        error.ShouldBeAt("personas/coach.yaml", line, column);
        error.Message.ShouldContain("merge key");
        result.Manifests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("        \"<<\": 1")]
    [InlineData("        '<<': 1")]
    public void AQuotedLessLessKey_IsAnOrdinaryKey(string extraBody)
    {
        ExtraBody(extraBody)!["<<"]!.GetValue<long>().ShouldBe(1);
    }
}
