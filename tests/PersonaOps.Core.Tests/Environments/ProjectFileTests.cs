using System.Text;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Environments;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Core.Tests.Environments;

/// <summary>The project file read from its bytes: environments in file order, their defaults, the default environment.</summary>
public sealed class ProjectFileTests
{
    private static (Project? Project, List<Diagnostic> Diagnostics) Parse(string yaml)
    {
        var diagnostics = new List<Diagnostic>();
        return (ProjectFile.Parse(new SourceFile("personaops.yaml", Encoding.UTF8.GetBytes(yaml)), diagnostics), diagnostics);
    }

    [Fact]
    public void AValidFile_GivesItsEnvironments_WithTheirDefaults()
    {
        var (project, diagnostics) = Parse("environments:\n  staging:\n    api_url: https://gw.example/staging\n    api_key_env: K_STAGING\n    sandbox: .personaops/s.db\n  production:\n    api_key_env: K_PRODUCTION\n    overlays: env/prod\ndefault_environment: production\n");
        diagnostics.ShouldBeEmpty();
        project!.DefaultEnvironment.ShouldBe("production");
        project.Environments.ShouldBe([
            new ProjectEnvironment("staging", "K_STAGING", "https://gw.example/staging", ".personaops/s.db", "environments/staging"),
            new ProjectEnvironment("production", "K_PRODUCTION", null, null, "env/prod"),
        ]);
    }

    [Theory]
    [InlineData("", 1, 1)]
    [InlineData("environments: {}\n---\nenvironments: {}\n", 2, 1)]
    [InlineData("environments:\n  a:\n    api_key_env: K\n    overlays: /abs\n", 4, 15)]
    public void AFileThatIsNotOneValidProject_IsPO6001(string yaml, int line, int column)
    {
        var (project, diagnostics) = Parse(yaml);
        project.ShouldBeNull();
        var d = diagnostics.Single(x => x.Code == "PO6001");
        d.File.ShouldBe("personaops.yaml");
        d.Position.ShouldBe(new SourcePosition(line, column));
    }
}
