using System.Text;
using System.Text.RegularExpressions;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// The hostile corpus: broken, malicious and borderline manifests. Each bad one is refused by validate,
/// plan and apply with its diagnostic code at its file, line and column, and not one request reaches the
/// API. The files live in Corpus/hostile, each naming what it expects in its first lines; what cannot be
/// a readable file (10 MB, binary, bad encodings, symlinks, several files) is made here.
/// </summary>
public sealed partial class HostileCorpusTests
{
    /// <summary>One case: the files under personas/, and the diagnostic every command must report.</summary>
    public sealed record CorpusCase(string Name, IReadOnlyDictionary<string, byte[]> Files, string File, string Code, int Line, int Column, IReadOnlyList<string> RefusedBy)
    {
        /// <summary>Words the diagnostic's message must hold, such as its suggestion.</summary>
        public string? MessageContains { get; init; }

        /// <summary>Where a symlink under personas/ points, outside the folder, if the case has one.</summary>
        public string? SymlinkTarget { get; init; }
    }

    private static readonly string[] AllCommands = ["validate", "plan", "apply"];

    private static readonly string Valid = TempProject.Manifest();

    private static readonly Lazy<Dictionary<string, CorpusCase>> Corpus = new(Load);

    public static TheoryData<string> BadCases() => [.. Corpus.Value.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void TheCorpus_HoldsAtLeastFortyBadManifests() => Corpus.Value.Count.ShouldBeGreaterThanOrEqualTo(40);

    [Theory]
    [MemberData(nameof(BadCases))]
    public async Task EveryBadManifest_IsRefused_WithItsCodeAndPosition_BeforeAnyApiCall(string name)
    {
        var corpusCase = Corpus.Value[name];
        await using var api = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        foreach (var (file, content) in corpusCase.Files)
        {
            File.WriteAllBytes(Path.Combine(project.Root, "personas", file), content);
        }

        if (corpusCase.SymlinkTarget is { } target)
        {
            var outside = project.Write("elsewhere/outside.yaml", target);
            File.CreateSymbolicLink(Path.Combine(project.Root, "personas", corpusCase.File), outside);
        }

        var expected = $"personas/{corpusCase.File}({corpusCase.Line},{corpusCase.Column}): error {corpusCase.Code}:";
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "corpus-key", ["TAVUS_API_URL"] = api.BaseAddress.ToString() };
        foreach (var command in AllCommands)
        {
            var args = command == "apply" ? new[] { "apply", "--auto-approve" } : [command];
            var requestsBefore = api.Requests.Count;
            var result = await CliRunner.RunAsync(project.Root, env, args);
            var output = result.Stdout + result.Stderr;
            if (corpusCase.RefusedBy.Contains(command))
            {
                result.ExitCode.ShouldBe(1, $"{command}: {output}");
                output.ShouldContain(expected, Case.Sensitive, $"{command}: {output}");
                if (corpusCase.MessageContains is { } words)
                {
                    output.Split('\n').Single(l => l.StartsWith(expected, StringComparison.Ordinal)).ShouldContain(words, Case.Sensitive);
                }
                api.Requests.Count.ShouldBe(requestsBefore, $"{command} sent nothing to the API before the input was known to be good");
            }
            else
            {
                result.ExitCode.ShouldBe(0, $"{command} accepts this case: {output}");
            }

            output.ShouldNotContain("Exception", Case.Sensitive, "a diagnostic, never a stack trace");
            output.ShouldNotContain("CANARY", Case.Sensitive, "secrets written into a bad manifest are not echoed");
        }
    }

    public static TheoryData<string> AcceptedCases() => ["bom-and-crlf", "crlf", "utf16-with-bom", "prompt-at-the-limit"];

    [Theory]
    [MemberData(nameof(AcceptedCases))]
    public async Task BorderlineManifests_AreAccepted_Cleanly(string name)
    {
        var bytes = name switch
        {
            "bom-and-crlf" => [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(Valid.ReplaceLineEndings("\r\n"))],
            "crlf" => Encoding.UTF8.GetBytes(Valid.ReplaceLineEndings("\r\n")),
            "utf16-with-bom" => [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Valid)],
            _ => Encoding.UTF8.GetBytes(Valid.Replace("You coach people.", new string('p', PromptLimit))),
        };
        using var project = new TempProject();
        File.WriteAllBytes(Path.Combine(project.Root, "personas", "coach.yaml"), bytes);

        var result = await CliRunner.RunAsync(project.Root, "validate");

        result.ExitCode.ShouldBe(0, result.Stdout + result.Stderr);
        result.Stdout.ShouldBeEmpty("no diagnostic at all");
    }

    [Fact]
    public async Task APromptBeyondTavussLimit_IsWarned_AndStillPlanned()
    {
        await using var api = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Valid.Replace("You coach people.", new string('p', PromptLimit + 1)));
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "corpus-key", ["TAVUS_API_URL"] = api.BaseAddress.ToString() };

        var validate = await CliRunner.RunAsync(project.Root, env, "validate");
        var plan = await CliRunner.RunAsync(project.Root, env, "plan");

        validate.ExitCode.ShouldBe(0);
        validate.Stdout.ShouldStartWith("personas/coach.yaml(7,18): warning PO4003: spec.system_prompt is 128,001 characters, beyond the documented limit of 128,000");
        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stderr.ShouldContain("warning PO4003");
        plan.Stdout.ShouldContain("Plan: 1 to add");
    }

    /// <summary>Tavus's documented prompt limit: 32,000 tokens, which the schema takes as 128,000 characters.</summary>
    private const int PromptLimit = 128_000;

    private static Dictionary<string, CorpusCase> Load()
    {
        var cases = new Dictionary<string, CorpusCase>(StringComparer.Ordinal);
        var folder = Path.Combine(CliRunner.RepositoryRoot(), "tests", "PersonaOps.Cli.Tests", "Corpus", "hostile");
        foreach (var path in Directory.EnumerateFiles(folder, "*.yaml"))
        {
            var text = File.ReadAllText(path);
            var expect = Expect().Match(text);
            if (!expect.Success)
            {
                throw new InvalidOperationException($"{Path.GetFileName(path)} does not start with '# expect: POxxxx line:column'");
            }

            var refusedBy = RefusedBy().Match(text) is { Success: true } m ? m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : AllCommands;
            var file = Path.GetFileName(path);
            cases.Add(Path.GetFileNameWithoutExtension(path), new CorpusCase(
                Path.GetFileNameWithoutExtension(path), new Dictionary<string, byte[]> { [file] = File.ReadAllBytes(path) }, file,
                expect.Groups[1].Value, int.Parse(expect.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(expect.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture), refusedBy)
            {
                MessageContains = expect.Groups[4].Success ? expect.Groups[4].Value : null,
            });
        }

        foreach (var generated in Generated())
        {
            cases.Add(generated.Name, generated);
        }

        return cases;
    }

    private static IEnumerable<CorpusCase> Generated()
    {
        static CorpusCase One(string name, byte[] content, string code, int line, int column) =>
            new(name, new Dictionary<string, byte[]> { [name + ".yaml"] = content }, name + ".yaml", code, line, column, AllCommands);
        static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

        var tenMegabytes = new byte[10 * 1024 * 1024];
        Array.Fill(tenMegabytes, (byte)'a');
        Utf8("# ").CopyTo(tenMegabytes, 0);
        yield return One("file-of-10-megabytes", tenMegabytes, "PO1002", 1, 1);

        var nested = new StringBuilder();
        for (var i = 0; i < 100; i++)
        {
            nested.Append(' ', i * 2).Append("k:\n");
        }

        yield return One("nesting-100-levels", Utf8(nested.ToString()), "PO1007", 65, 129);
        yield return One("nesting-10000-flow-levels", Utf8(new string('[', 10_000) + new string(']', 10_000)), "PO1007", 1, 65);
        yield return One("binary-png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D], "PO1003", 1, 1);
        yield return One("latin-1-not-utf-8", Encoding.Latin1.GetBytes(Valid.Replace("Coach\n", "Caf\u00e9\n")), "PO1003", 6, 20);
        yield return One("nul-byte", Utf8(Valid.Replace("You coach", "You\0coach")), "PO1003", 7, 21);
        yield return One("utf-16-without-bom", Encoding.Unicode.GetBytes(Valid), "PO1003", 1, 2);

        var other = Valid.Replace("persona_name: Coach", "persona_name: Other");
        yield return new("duplicate-name-across-files", new Dictionary<string, byte[]> { ["a.yaml"] = Utf8(Valid), ["b.yaml"] = Utf8(other) }, "b.yaml", "PO3003", 4, 9, AllCommands);
        yield return new("duplicate-persona-name-across-files", new Dictionary<string, byte[]> { ["a.yaml"] = Utf8(Valid), ["b.yaml"] = Utf8(Valid.Replace("name: coach", "name: coach-two")) }, "b.yaml", "PO3004", 6, 17, AllCommands);
        var pinned = Valid.Replace("  name: coach\n", "  name: coach\n  id: p0123456789a\n");
        yield return new("duplicate-id-across-files", new Dictionary<string, byte[]> { ["a.yaml"] = Utf8(pinned), ["b.yaml"] = Utf8(pinned.Replace("name: coach", "name: other").Replace("Coach", "Other")) }, "b.yaml", "PO3012", 5, 7, AllCommands);
        yield return new("symlink-out-of-the-folder", new Dictionary<string, byte[]>(), "linked.yaml", "PO1012", 1, 1, AllCommands) { SymlinkTarget = Valid.Replace("You coach people.", "CANARY-outside-the-folder") };
    }

    [GeneratedRegex(@"\A# expect: (PO\d{4}) (\d+):(\d+)(?: (.+))?\n")]
    private static partial Regex Expect();

    [GeneratedRegex(@"^# refused by: ([a-z ]+?)(?: \(|$)", RegexOptions.Multiline)]
    private static partial Regex RefusedBy();
}
