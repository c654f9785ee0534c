using System.Text.Json.Nodes;

namespace PersonaOps.Cli.Tests;

public sealed class ValidateCommandTests
{
    private const string Valid = """
        # yaml-language-server: $schema=../schemas/persona/v1/persona.schema.json
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: You coach people.
        """;

    [Fact]
    public async Task TheRepositorysOwnPersonas_AreValid()
    {
        var result = await CliRunner.RunAsync(CliRunner.RepositoryRoot(), "validate");
        result.ExitCode.ShouldBe(0, result.Stdout + result.Stderr);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldContain("manifest(s) in");
    }

    [Fact]
    public async Task TheExamples_AreValid()
    {
        var root = CliRunner.RepositoryRoot();
        var result = await CliRunner.RunAsync(root, "validate", "examples/personas");
        result.ExitCode.ShouldBe(0, result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task ValidManifests_ExitZero_WithWarningsAllowed()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Valid + "\n  context: old text\n");
        var result = await CliRunner.RunAsync(project.Root, "validate");
        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldStartWith("personas/coach.yaml(9,3): warning PO4001: spec.context is deprecated");
    }

    [Fact]
    public async Task Errors_ExitOne_WithDiagnosticsOnStdoutAndTheSummaryOnStderr()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Valid.Replace("name: coach", "name: Coach"));
        var result = await CliRunner.RunAsync(project.Root, "validate");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldBe("personas/coach.yaml(5,9): error PO2005: metadata.name must be a lowercase slug: letters a-z, digits and '-', starting and ending with a letter or digit, at most 63 characters (for example 'sales-coach'), but is the string 'Coach'.\n");
        result.Stderr.ShouldContain("1 error(s)");
    }

    [Fact]
    public async Task JsonOutput_IsAnArrayOfDiagnostics()
    {
        using var project = new TempProject();
        project.Write("personas/a.yaml", "a: 1\na: 2\n");
        var result = await CliRunner.RunAsync(project.Root, "validate", "--output", "json");
        result.ExitCode.ShouldBe(1);
        var diagnostics = JsonNode.Parse(result.Stdout)!.AsArray();
        var d = diagnostics.Single()!;
        d["file"]!.GetValue<string>().ShouldBe("personas/a.yaml");
        d["line"]!.GetValue<int>().ShouldBe(2);
        d["column"]!.GetValue<int>().ShouldBe(1);
        d["severity"]!.GetValue<string>().ShouldBe("error");
        d["code"]!.GetValue<string>().ShouldBe("PO1005");
    }

    [Fact]
    public async Task JsonOutput_OfValidManifests_IsAnEmptyArray()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Valid);
        var result = await CliRunner.RunAsync(project.Root, "validate", "-o", "json");
        result.ExitCode.ShouldBe(0);
        JsonNode.Parse(result.Stdout)!.AsArray().Count.ShouldBe(0);
    }

    [Fact]
    public async Task GitHubOutput_IsTheDefaultInActions_AndEscapesMessages()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Valid.Replace("You coach people.", "\"${bad}\""));
        var env = new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true" };
        var result = await CliRunner.RunAsync(project.Root, env, "validate");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldStartWith("::error file=personas/coach.yaml,line=8,col=18,title=PO3006::PO3006: spec.system_prompt: '${bad}' is not a valid reference");
    }

    [Fact]
    public async Task ExplicitFilesAndFolders_AreRead_AndPathsShownRelativeToTheRoot()
    {
        using var project = new TempProject();
        project.Write("team/a/coach.yml", Valid);
        project.Write("team/b/broken.yaml", "kind: [");
        project.Write("team/b/notes.txt", "not a manifest");
        var result = await CliRunner.RunAsync(project.Root, "validate", "team");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldStartWith("team/b/broken.yaml(");
        result.Stderr.ShouldContain("1 manifest(s) in 2 file(s)");
    }

    [Fact]
    public async Task DirOption_SetsTheProjectRoot()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Valid);
        var result = await CliRunner.RunAsync(Path.GetTempPath(), "validate", "--dir", project.Root);
        result.ExitCode.ShouldBe(0, result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task MissingPath_IsPO1011()
    {
        using var project = new TempProject();
        var result = await CliRunner.RunAsync(project.Root, "validate", "nowhere");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldBe("nowhere(1,1): error PO1011: 'nowhere' does not exist.\n");
    }

    [Fact]
    public async Task FolderWithoutManifests_IsPO1010()
    {
        using var project = new TempProject();
        var result = await CliRunner.RunAsync(project.Root, "validate");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldContain("error PO1010: no manifests in personas/");
    }

    [Fact]
    public async Task SymlinkLeavingTheFolder_IsRefused_AndNotRead()
    {
        using var project = new TempProject();
        var outside = project.Write("elsewhere/secret.yaml", Valid.Replace("You coach people.", "CANARY-OUTSIDE"));
        File.CreateSymbolicLink(Path.Combine(project.Root, "personas", "linked.yaml"), outside);
        project.Write("personas/coach.yaml", Valid.Replace("coach", "coach-two").Replace("Coach", "Coach Two"));
        var result = await CliRunner.RunAsync(project.Root, "validate");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldContain("personas/linked.yaml(1,1): error PO1012");
        result.Stderr.ShouldContain("1 manifest(s) in 1 file(s)");
    }

    [Fact]
    public async Task SymlinkWithinTheFolder_IsFollowed()
    {
        using var project = new TempProject();
        var inside = project.Write("personas/real/coach.yaml", Valid);
        Directory.CreateSymbolicLink(Path.Combine(project.Root, "personas", "alias"), Path.GetDirectoryName(inside)!);
        var result = await CliRunner.RunAsync(project.Root, "validate");
        result.ExitCode.ShouldBe(0, result.Stdout);
        result.Stderr.ShouldContain("1 manifest(s) in 1 file(s)");
    }

    [Fact]
    public async Task OversizedFile_IsRefusedBeforeReading()
    {
        using var project = new TempProject();
        var path = Path.Combine(project.Root, "personas", "huge.yaml");
        await using (var stream = File.Create(path))
        {
            stream.SetLength(10 * 1024 * 1024);
        }

        var result = await CliRunner.RunAsync(project.Root, "validate");
        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldBe("personas/huge.yaml(1,1): error PO1002: the file is 10 MiB; manifests are limited to 4 MiB. Split it into several files.\n");
    }

    [Fact]
    public async Task MarkdownOutput_IsNotAValidateFormat()
    {
        using var project = new TempProject();
        var result = await CliRunner.RunAsync(project.Root, "validate", "--output", "markdown");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("--output must be text, json or github for validate, not 'markdown'.");
    }

    [Fact]
    public async Task UnknownCommand_IsBadUsage_ExitOne()
    {
        using var project = new TempProject();
        var result = await CliRunner.RunAsync(project.Root, "frobnicate");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldNotBeEmpty();
    }
}

public sealed class RepositoryManifestTests
{
    public static TheoryData<string> ManifestFiles()
    {
        var root = CliRunner.RepositoryRoot();
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "personas", "examples" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(root, file).Replace('\\', '/'));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ManifestFiles))]
    public void EveryManifest_StartsWithTheSchemaLineForEditors_AndItResolves(string relativePath)
    {
        var root = CliRunner.RepositoryRoot();
        var firstLine = File.ReadLines(Path.Combine(root, relativePath)).First();
        firstLine.ShouldStartWith("# yaml-language-server: $schema=");
        var schemaPath = firstLine["# yaml-language-server: $schema=".Length..];
        File.Exists(Path.Combine(root, Path.GetDirectoryName(relativePath)!, schemaPath)).ShouldBeTrue($"{schemaPath} does not resolve from {relativePath}");
    }
}
