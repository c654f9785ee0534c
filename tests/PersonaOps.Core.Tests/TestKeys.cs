using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Tests;

/// <summary>Account keys for tests: two accounts, as two API keys would give.</summary>
internal static class TestKeys
{
    public static readonly PlanKey A = PlanKey.FromApiKey("test-account-a-key");

    public static readonly PlanKey B = PlanKey.FromApiKey("test-account-b-key");

    /// <summary>A target under account A's key.</summary>
    public static PlanTarget Target(string description) => new(description, A);
}
