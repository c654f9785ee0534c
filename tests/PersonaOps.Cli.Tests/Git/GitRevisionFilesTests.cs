using System.Diagnostics;
using System.Text;

namespace PersonaOps.Cli.Tests.Git;

/// <summary>A temporary Git repository driven through the git command, as a user's checkout would be.</summary>
internal sealed class TempRepository : IDisposable
{
    public TempRepository()
    {
        Root = Path.Combine(Path.GetTempPath(), "personaops-git-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Git("init", "-q", "-b", "main");
    }

    public string Root { get; }

    public string Write(string relativePath, string content)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Stages everything and commits; returns the new commit's id.</summary>
    public string Commit(string message)
    {
        Git("add", "-A");
        Git("commit", "-q", "--allow-empty", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    public string Git(params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A repository of its own, whatever the machine's Git configuration says.
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "PersonaOps Tests";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "tests@personaops.invalid";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, $"git {string.Join(' ', args)}: {error}");
        return output;
    }

    public void Dispose()
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal); // Git's objects are read-only
            }

            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class GitRevisionFilesTests
{
    private static string Text(PersonaOps.Core.Manifests.SourceFile file) => Encoding.UTF8.GetString(file.Content.Span);

    [Fact]
    public void TheManifestsAtARevision_AreReadFromGitsObjects_WhateverTheWorkTreeHolds()
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", "a: 1\r\n");
        repo.Write("personas/team/mentor.yml", "b: 2\n");
        repo.Write("personas/.hidden/x.yaml", "hidden: true\n");
        repo.Write("personas/notes.md", "not a manifest\n");
        var first = repo.Commit("first");
        repo.Write("personas/coach.yaml", "a: changed\n");
        repo.Write("personas/new.yaml", "c: 3\n");
        repo.Commit("second");
        repo.Write("personas/coach.yaml", "a: uncommitted\n");

        var result = GitRevisionFiles.Read(repo.Root, repo.Root, first, []);

        result.Error.ShouldBeNull();
        result.Commit.ShouldBe(first);
        result.Files.Select(f => f.Path).ShouldBe(["personas/coach.yaml", "personas/team/mentor.yml"]);
        Text(result.Files[0]).ShouldBe("a: 1\r\n", "the bytes as committed, line endings included");
        GitRevisionFiles.Read(repo.Root, repo.Root, "HEAD~1", []).Commit.ShouldBe(first);
        GitRevisionFiles.Read(repo.Root, repo.Root, "main", []).Files.Select(f => f.Path).ShouldBe(["personas/coach.yaml", "personas/new.yaml", "personas/team/mentor.yml"]);
    }

    [Fact]
    public void AProjectInASubfolder_ReadsItsOwnPersonas_AndNamedPaths()
    {
        using var repo = new TempRepository();
        repo.Write("personas/other.yaml", "elsewhere: 1\n");
        repo.Write("teams/support/personas/coach.yaml", "a: 1\n");
        repo.Write("teams/support/extra/one.yaml", "b: 1\n");
        var commit = repo.Commit("first");
        var project = Path.Combine(repo.Root, "teams", "support");

        GitRevisionFiles.Read(project, project, commit, []).Files.Select(f => f.Path).ShouldBe(["personas/coach.yaml"]);
        GitRevisionFiles.Read(project, project, commit, ["extra/one.yaml", "personas"]).Files.Select(f => f.Path).ShouldBe(["extra/one.yaml", "personas/coach.yaml"]);
    }

    [Fact]
    public void AFolderAbsentAtTheBase_HasNoManifests_AndIsNoError()
    {
        using var repo = new TempRepository();
        repo.Write("README.md", "x\n");
        var commit = repo.Commit("before personas");

        var result = GitRevisionFiles.Read(repo.Root, repo.Root, commit, []);

        result.Error.ShouldBeNull();
        result.Files.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("no-such-branch")]
    [InlineData("0123456789012345678901234567890123456789")]
    [InlineData("HEAD~5")]
    [InlineData("--output=x")]
    [InlineData("")]
    public void ARevisionThatDoesNotExist_IsAClearError(string revision)
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", "a: 1\n");
        repo.Commit("first");

        var result = GitRevisionFiles.Read(repo.Root, repo.Root, revision, []);

        result.Error.ShouldBe($"--base names '{revision}', which is not a commit of this repository (give a commit, branch or tag).");
        result.Files.ShouldBeEmpty();
    }

    [Fact]
    public void ARevisionNamingATree_IsNotACommit()
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", "a: 1\n");
        repo.Commit("first");
        var tree = repo.Git("rev-parse", "HEAD^{tree}").Trim();

        GitRevisionFiles.Read(repo.Root, repo.Root, tree, []).Error.ShouldNotBeNull().ShouldContain("not a commit");
    }

    [Fact]
    public void AnAnnotatedTag_NamesItsCommit()
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", "a: 1\n");
        var commit = repo.Commit("first");
        repo.Git("tag", "-a", "v1", "-m", "release");

        GitRevisionFiles.Read(repo.Root, repo.Root, "v1", []).Commit.ShouldBe(commit);
    }

    [Fact]
    public void AProjectOutsideAnyRepository_IsAClearError()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = GitRevisionFiles.Read(project.Root, project.Root, "HEAD", []);

        result.Error.ShouldBe("--base needs the project to be inside a Git repository, and the current folder is not; run plan without --base, or from the repository's checkout.");
    }

    [Fact]
    public void ASymbolicLinkInTheTree_IsSkipped_NeverFollowed()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", "a: 1\n");
        File.CreateSymbolicLink(Path.Combine(repo.Root, "personas", "passwd.yaml"), "/etc/passwd");
        var commit = repo.Commit("first");

        GitRevisionFiles.Read(repo.Root, repo.Root, commit, []).Files.Select(f => f.Path).ShouldBe(["personas/coach.yaml"]);
    }

    [Fact]
    public void AFileBeyondTheSizeLimit_IsRefusedBySize_NeverLoaded()
    {
        using var repo = new TempRepository();
        repo.Write("personas/huge.yaml", "# " + new string('x', 5 * 1024 * 1024) + "\n");
        var commit = repo.Commit("first");

        var result = GitRevisionFiles.Read(repo.Root, repo.Root, commit, []);

        result.Files.ShouldBeEmpty();
        result.Diagnostics.Single().Code.ShouldBe("PO1002");
    }
}
