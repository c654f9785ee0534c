using System.CommandLine;
using PersonaOps.Core.Planning;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops show PLANFILE</c>: render a saved plan.</summary>
internal static class ShowCommand
{
    private static readonly Argument<string> PlanFile = new("planfile") { Description = "A plan saved with plan --out." };

    public static Command Create(IOContext io)
    {
        var command = new Command("show", "Render a saved plan.") { PlanFile, PlanCommand.Output, PlanCommand.Commit, PlanCommand.RunUrl };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var file = parseResult.GetValue(PlanFile)!;
            var plan = await Workflow.ReadPlanFileAsync(io, file, cancellationToken);
            if (plan is null)
            {
                return ExitCodes.Error;
            }

            // The values this environment holds for the plan's secrets are masked too, should a plan file hold one.
            foreach (var secret in Core.Applying.ApplyPreparation.SecretValues(plan, io.Environment))
            {
                io.Redactor.Add(secret);
            }

            var output = PlanCommand.Formats.Chosen(parseResult, PlanCommand.Output);
            io.Out.Write(output.Render(plan, new RenderOptions(io.UseColor(parseResult.GetValue(GlobalOptions.NoColor)), Verbose: false, PlanCommand.Context(io, parseResult))));
            return ExitCodes.Success;
        });
        return command;
    }
}
