using System.ComponentModel.DataAnnotations;
using ModelPlatform.SampleInference.Configuration;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Starts preparing a local model file (session and warm-up) as soon as the configuration is read,
/// on a thread of its own, while the web host is still being built. Building the host and mapping
/// its endpoints take about as long as creating a ResNet18 session, and on a machine with two cores
/// or more the two need not wait for each other: readiness comes up to that much earlier.
/// <see cref="ModelLoader"/> takes the result only when the host's final options ask for the same
/// file with the same settings; otherwise it is disposed once done. Downloads (http(s) URIs) and
/// options that do not validate are left to the loader, which reports them as before.
/// </summary>
internal sealed class ModelPreload
{
    private readonly SessionSettings? _settings;
    private Task<PreparedModel>? _preparing;

    private ModelPreload(SessionSettings? settings, Task<PreparedModel>? preparing)
    {
        _settings = settings;
        _preparing = preparing;
    }

    /// <summary>Nothing prepared early: the loader prepares the model itself.</summary>
    public static ModelPreload None { get; } = new(null, null);

    /// <summary>Starts preparing the model the configuration names, when it is a local file and the options validate.</summary>
    public static ModelPreload Start(IConfiguration configuration)
    {
        var options = configuration.GetSection(InferenceServerOptions.Section).Get<InferenceServerOptions>() ?? new InferenceServerOptions();
        if (ModelLocation.IsRemote(options.ModelUri, out _) ||
            !ModelLocation.TryResolvePath(options.ModelUri, out var path, out _) ||
            !File.Exists(path) ||
            !Validator.TryValidateObject(options, new ValidationContext(options), validationResults: null, validateAllProperties: true))
        {
            return None;
        }

        var settings = SessionSettings.From(path, options);
        var preparing = Task.Factory.StartNew(
            () => ModelPreparation.Prepare(settings), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return new ModelPreload(settings, preparing);
    }

    /// <summary>
    /// The early preparation if it was for <paramref name="settings"/>, once; otherwise null, and
    /// what was prepared for other settings is disposed when done (a failure there is nobody's).
    /// </summary>
    public Task<PreparedModel>? Take(SessionSettings settings)
    {
        var preparing = Interlocked.Exchange(ref _preparing, null);
        if (preparing is null || settings == _settings)
        {
            return preparing;
        }

        _ = preparing.ContinueWith(
            static done =>
            {
                if (done.IsCompletedSuccessfully)
                {
                    done.Result.Model.Dispose();
                }

                _ = done.Exception;
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return null;
    }
}
