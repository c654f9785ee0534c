namespace PersonaOps.Cli.Tests;

/// <summary>What a run of the CLI produced.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the whole CLI in-process with captured streams, a fixed environment and a working directory.</summary>
internal static class CliRunner
{
    public static async Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var env = environment ?? new Dictionary<string, string>();
        var io = new IOContext(stdout, stderr, name => env.TryGetValue(name, out var value) ? value : null, workingDirectory, IsTerminal: false);
        var exit = await CliApp.RunAsync(args, io);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    public static Task<CliResult> RunAsync(string workingDirectory, params string[] args) => RunAsync(workingDirectory, null, args);

    /// <summary>The repository's root, found from the test binaries' folder.</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PersonaOps.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("PersonaOps.sln not found above the test binaries");
    }
}

/// <summary>A temporary project folder, deleted afterwards.</summary>
internal sealed class TempProject : IDisposable
{
    public TempProject()
    {
        Root = Path.Combine(Path.GetTempPath(), "personaops-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, "personas"));
    }

    public string Root { get; }

    /// <summary>The smallest valid manifest: apiVersion, kind, metadata.name, persona_name and system_prompt, in that order.</summary>
    public static string Manifest(string name = "coach", string personaName = "Coach", string prompt = "You coach people.") =>
        $"apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: {name}\nspec:\n  persona_name: {personaName}\n  system_prompt: {prompt}\n";

    /// <summary>Writes <see cref="Manifest"/> to personas/NAME.yaml.</summary>
    public string WritePersona(string name, string personaName, string prompt) => Write($"personas/{name}.yaml", Manifest(name, personaName, prompt));

    public string Write(string relativePath, string content)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
