namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// Whether this machine has an NVIDIA GPU that a replica process could use: the driver's device
/// node (<c>/dev/nvidia0</c>), or WSL's GPU bridge (<c>/dev/dxg</c>). Without one, a replica asking
/// for a GPU could only fail to start, so the embedded runtime refuses it up front. Whether CUDA's
/// libraries load is the replica's to find out; it says so in its termination message.
/// </summary>
internal sealed class HostGpus
{
    private static readonly string[] DefaultDevices = ["/dev/nvidia0", "/dev/dxg"];

    private readonly IReadOnlyList<string> _devices;

    public HostGpus()
        : this(DefaultDevices)
    {
    }

    internal HostGpus(IReadOnlyList<string> devices) => _devices = devices;

    /// <summary>The device nodes looked for, for messages.</summary>
    public IReadOnlyList<string> Devices => _devices;

    /// <summary>Looked at on each call: a driver loaded after the deployer started counts.</summary>
    public bool Available => _devices.Any(File.Exists);
}
