using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Validation;

/// <summary>
/// Whether the environment holds every variable the manifests reference, checked before any API call.
/// plan needs the variables of ordinary fields, whose values it compares; a secret's variable may be
/// missing in plan (that secret is not compared, and the plan says so). apply needs every one, so that it
/// never stops half-way for want of a variable. The check is resolution's (<see cref="DesiredResolver"/>):
/// one walk finds the references, resolves them and binds the secrets.
/// </summary>
public static class EnvironmentCheck
{
    /// <summary>
    /// The references that cannot be resolved (<see cref="Result.Missing"/>), and the variables the secret
    /// fields reference (<see cref="Result.SecretVariables"/>: their values are what must never be shown).
    /// </summary>
    public sealed record Result(IReadOnlyList<Diagnostic> Missing, IReadOnlySet<string> SecretVariables);

    public static Result Check(IEnumerable<Manifest> manifests, Func<string, string?> environment, bool includeSecrets, KindSchema? schema = null)
    {
        var resolved = DesiredResolver.Resolve([.. manifests], environment, includeSecrets, schema);
        return new Result([.. resolved.Diagnostics.Where(d => d.Code == DiagnosticCatalog.MissingVariable.Code)], resolved.SecretVariables);
    }
}
