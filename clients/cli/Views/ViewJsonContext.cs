using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelPlatform.Cli.Views;

/// <summary>
/// The views' JSON contracts, generated at build time: a command reads a deployment on every poll,
/// and reflection-based serialization would spend each <c>mp</c> process's start building (and
/// emitting IL for) accessors instead. Web defaults: camelCase, case-insensitive, numbers as strings allowed.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DeploymentView))]
[JsonSerializable(typeof(StoredModelView))]
[JsonSerializable(typeof(List<TensorView>))]
internal sealed partial class ViewJsonContext : JsonSerializerContext;
