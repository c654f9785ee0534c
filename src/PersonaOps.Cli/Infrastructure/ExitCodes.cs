namespace PersonaOps.Cli;

/// <summary>The exit codes of the command-line contract. Scripts depend on them: never renumber.</summary>
public static class ExitCodes
{
    /// <summary>Success; for plan --detailed-exitcode and drift: no changes.</summary>
    public const int Success = 0;

    /// <summary>Invalid manifests, bad usage, API or network failure, or an apply that did not fully succeed.</summary>
    public const int Error = 1;

    /// <summary>plan --detailed-exitcode or drift succeeded and found changes.</summary>
    public const int Changes = 2;

    /// <summary>apply PLANFILE refused a stale plan; nothing was applied.</summary>
    public const int StalePlan = 3;
}
