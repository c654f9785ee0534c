using System.CommandLine;
using PersonaOps.Core.Planning;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops show PLANFILE</c>: render a saved plan.</summary>
internal static class ShowCommand
{
    private static readonly Argument<string> PlanFile = new("planfile") { Description = "A plan saved with plan --out." };

    public static Command Create(IOContext io)
    {
        var command = new Command("show", "Render a saved plan.") { PlanFile, PlanCommand.Output };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var file = parseResult.GetValue(PlanFile)!;
            var plan = await Workflow.ReadPlanFileAsync(io, file, cancellationToken);
            if (plan is null)
            {
                return ExitCodes.Error;
            }

            var output = PlanCommand.Formats.Chosen(parseResult, PlanCommand.Output);
            io.Out.Write(output.Render(plan, new RenderOptions(io.UseColor(parseResult.GetValue(GlobalOptions.NoColor)), Verbose: false)));
            return ExitCodes.Success;
        });
        return command;
    }
}
