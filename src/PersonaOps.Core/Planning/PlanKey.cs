using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PersonaOps.Core.Planning;

/// <summary>
/// The key of every fingerprint that reaches a plan file, and of the account's identity in it: HMAC-SHA256
/// under a key that whoever holds the file (a CI artifact, a pull-request comment) does not have, and that
/// plan and apply both do. Against Tavus it is derived from TAVUS_API_KEY (HKDF-SHA256 with a fixed label);
/// against the local sandbox, from the sandbox file's own random key. An unkeyed hash of a short secret
/// (<c>X-Tenant: tenant-42</c>) is reversed offline by trying values; a keyed one is not. The core is pure:
/// the caller hands the key material in.
/// </summary>
public sealed class PlanKey
{
    private const string Prefix = "hmac-sha256:";
    private static readonly byte[] DerivationLabel = Encoding.UTF8.GetBytes("personaops plan key v1");

    private readonly byte[] _key;

    private PlanKey(byte[] key)
    {
        _key = key;
        Account = Prefix + Hex(Mac("account", ReadOnlySpan<byte>.Empty))[..32];
    }

    /// <summary>
    /// The key of a Tavus account, from its API key: HKDF-SHA256 of the key with PersonaOps's label. The API
    /// key itself is never stored; neither is anything from which it could be computed more cheaply than by
    /// guessing it.
    /// </summary>
    public static PlanKey FromApiKey(string apiKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        return new PlanKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(apiKey), 32, salt: [], info: DerivationLabel));
    }

    /// <summary>The key of a store that has its own random key material (the local sandbox's file), at least 16 bytes.</summary>
    public static PlanKey FromKeyMaterial(ReadOnlySpan<byte> material)
    {
        if (material.Length < 16)
        {
            throw new ArgumentException("key material must be at least 16 bytes", nameof(material));
        }

        return new PlanKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, material.ToArray(), 32, salt: [], info: DerivationLabel));
    }

    /// <summary>
    /// The account's identity as a plan records it: a keyed hash of a fixed label, the same for every plan made
    /// with this key and another under any other key; it says nothing of the key.
    /// </summary>
    public string Account { get; }

    /// <summary>A secret's fingerprint: enough to notice that a value changed, never enough to recover it.</summary>
    public string Secret(string value) => Prefix + Hex(Mac("secret", Encoding.UTF8.GetBytes(value)))[..32];

    /// <summary>A live document's fingerprint (its canonical JSON, keyed): the stale check's evidence.</summary>
    public string Document(JsonNode? node) => Prefix + Hex(Mac("document", Encoding.UTF8.GetBytes(CanonicalJson.Serialize(node))));

    /// <summary>
    /// The seal of a plan file: what it seals (<see cref="PlanDocument.SealedContent"/>: its fingerprint and
    /// its secrets' fingerprints), keyed. Whoever edits a plan file can recompute the plain
    /// fingerprint, but not this, so apply accepts only a plan file written by a plan of this account.
    /// </summary>
    public string Seal(string sealedContent) => Prefix + Hex(Mac("plan", Encoding.UTF8.GetBytes(sealedContent)));

    /// <summary>HMAC-SHA256 of a purpose label, a separator and the data: one key, several uses that cannot stand in for each other.</summary>
    private byte[] Mac(string purpose, ReadOnlySpan<byte> data)
    {
        var label = Encoding.UTF8.GetBytes("personaops " + purpose);
        var message = new byte[label.Length + 1 + data.Length];
        label.CopyTo(message, 0);
        data.CopyTo(message.AsSpan(label.Length + 1));
        return HMACSHA256.HashData(_key, message);
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Never the key: a PlanKey printed by accident shows nothing of it.</summary>
    public override string ToString() => "PlanKey(" + Account + ")";
}

/// <summary>What a plan is made for: the API it names (a URL, or the local sandbox) and the key of the account behind it.</summary>
public sealed record PlanTarget(string Description, PlanKey Key)
{
    /// <summary>The environment of personaops.yaml the plan is for, or null without one: part of the target's identity.</summary>
    public string? Environment { get; init; }

    /// <summary>The account's identity (<see cref="PlanKey.Account"/>).</summary>
    public string Account => Key.Account;
}
