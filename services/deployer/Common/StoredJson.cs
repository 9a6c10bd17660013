using System.Text.Json;

namespace ModelPlatform.Deployer.Common;

/// <summary>
/// The one JSON shape of what the deployer stores and journals: deployment records, audit entries,
/// replica specs, the embedded workflow journal and the variant fingerprints behind replica-set
/// names. Read-only, so no caller can change how data already written is read back, nor rename
/// every replica set by accident.
/// </summary>
internal static class StoredJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
