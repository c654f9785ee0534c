using System.Security.Cryptography;
using System.Text;

namespace PersonaOps.Core.Planning;

/// <summary>Fingerprints of secret values: enough to notice a change, never enough to print the value.</summary>
public static class Secrets
{
    /// <summary>The masked form in every output.</summary>
    public const string Sensitive = "(sensitive value)";

    public static string Fingerprint(string value) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("personaops-secret:" + value)))[..16];

    /// <summary>True when a live value is a mask rather than the secret itself.</summary>
    public static bool IsMask(string value) => value.Length > 0 && value.All(c => c is '*' or '•' or 'x' or 'X') && value.Length >= 3;
}
