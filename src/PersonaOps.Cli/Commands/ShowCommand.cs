using System.CommandLine;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops show PLANFILE</c>: render a saved plan.</summary>
internal static class ShowCommand
{
    private static readonly Argument<string> PlanFile = new("planfile") { Description = "A plan saved with plan --out." };
    private static readonly Option<OutputFormat?> Output = new("--output", "-o") { Description = "text (default), json or markdown (a pull-request comment).", HelpName = "text|json|markdown" };

    public static Command Create(IOContext io)
    {
        var command = new Command("show", "Render a saved plan.") { PlanFile, Output };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var file = parseResult.GetValue(PlanFile)!;
            var plan = await Workflow.ReadPlanFileAsync(io, file, cancellationToken);
            if (plan is null)
            {
                return ExitCodes.Error;
            }

            var output = parseResult.GetValue(Output) ?? OutputFormat.Text;
            if (output is not (OutputFormat.Text or OutputFormat.Json or OutputFormat.Markdown))
            {
                io.Error.WriteLine("personaops: error: show supports --output text, json or markdown.");
                return ExitCodes.Error;
            }

            io.Out.Write(PlanCommand.Render(plan, output, io.UseColor(parseResult.GetValue(GlobalOptions.NoColor)), verbose: false));
            return ExitCodes.Success;
        });
        return command;
    }
}
