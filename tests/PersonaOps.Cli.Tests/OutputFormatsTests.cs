using System.CommandLine;

namespace PersonaOps.Cli.Tests;

/// <summary>Each command's --output comes from one table: its values, their help, the error, and the renderer.</summary>
public sealed class OutputFormatsTests
{
    private static readonly OutputFormats<string> Shouting = new OutputFormats<string>()
        .Add("text", "as given", (value, _) => value)
        .Add("loud", "in capitals", (value, options) => options.Color ? "*" + value.ToUpperInvariant() : value.ToUpperInvariant());

    [Fact]
    public void ARegisteredFormat_IsAcceptedAndDispatchedToItsRenderer()
    {
        var option = Shouting.CreateOption();
        var command = new RootCommand { option };

        var result = command.Parse(["--output", "loud"]);

        result.Errors.ShouldBeEmpty();
        var format = Shouting.Chosen(result, option);
        format.Name.ShouldBe("loud");
        format.Render("hi", new RenderOptions(Color: false, Verbose: false)).ShouldBe("HI");
        format.Render("hi", new RenderOptions(Color: true, Verbose: false)).ShouldBe("*HI");
    }

    [Fact]
    public void WithoutTheOption_TheFirstRegisteredFormatIsTheDefault()
    {
        var option = Shouting.CreateOption();
        var command = new RootCommand { option };

        Shouting.Chosen(command.Parse([]), option).Name.ShouldBe("text");
        Shouting.Default.Name.ShouldBe("text");
    }

    [Fact]
    public void AnUnregisteredFormat_IsAParseError_ListingOnlyTheRegisteredOnes()
    {
        var option = Shouting.CreateOption();
        var command = new Command("demo") { option };

        var result = command.Parse(["-o", "json"]);

        result.Errors.Select(e => e.Message).ShouldBe(["--output must be text or loud for demo, not 'json'."]);
    }

    [Fact]
    public void TheHelp_ComesFromTheTable()
    {
        var option = Shouting.CreateOption();

        option.HelpName.ShouldBe("text|loud");
        option.Description.ShouldBe("text (the default): as given; loud: in capitals.");
    }

    [Fact]
    public void AFormatNamedTwice_IsAProgrammingError()
    {
        Should.Throw<ArgumentException>(() => new OutputFormats<string>().Add("text", "a", (v, _) => v).Add("TEXT", "b", (v, _) => v));
    }

    [Theory]
    [InlineData("plan", "<text|json|markdown>")]
    [InlineData("drift", "<text|json|markdown>")]
    [InlineData("show", "<text|json|markdown>")]
    [InlineData("validate", "<text|json|github>")]
    public async Task EachCommandsHelp_ListsTheFormatsItEmits(string command, string helpName)
    {
        using var project = new TempProject();

        var result = await CliRunner.RunAsync(project.Root, command, "--help");

        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldContain(helpName);
    }

    [Theory]
    [InlineData("plan", "JSON")]
    [InlineData("validate", "GitHub")]
    public async Task FormatNames_AreCaseInsensitive(string command, string output)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, command, "--output", output);

        result.ExitCode.ShouldBe(0, result.Stderr);
    }
}
