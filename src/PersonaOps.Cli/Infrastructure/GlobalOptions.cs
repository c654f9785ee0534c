using System.CommandLine;

namespace PersonaOps.Cli;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Dir = new("--dir")
    {
        Description = "The project root: manifests default to personas/ under it, and paths are shown relative to it. Default: the current directory.",
        Recursive = true,
        HelpName = "path",
    };

    public static readonly Option<bool> NoColor = new("--no-color")
    {
        Description = "Never colour output (NO_COLOR does the same). Colour is used only on a terminal.",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log more detail to stderr.",
        Recursive = true,
    };
}
