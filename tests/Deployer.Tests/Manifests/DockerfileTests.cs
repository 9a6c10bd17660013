using System.Text.RegularExpressions;
using System.Xml.Linq;
using k8s;
using k8s.Models;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Manifests;

/// <summary>
/// No container engine runs here, so the images cannot be built in a test. What can be checked is
/// what broke them before: a project the build needs that the Dockerfile never copies, and an image
/// name that differs between the build command and the manifests that pull it.
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Services() => ["deployer", "gateway", "sample-inference"];

    [Theory]
    [MemberData(nameof(Services))]
    public void The_image_build_copies_every_project_the_service_references(string service)
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "services", service, "Dockerfile"));
        var copied = CopyInstruction().Matches(dockerfile).Select(match => match.Groups["source"].Value.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);

        foreach (var project in ReferencedProjects(Path.Combine("services", service)))
        {
            var folder = Path.GetDirectoryName(project)!.Replace('\\', '/');
            // Restore needs the project file before the sources arrive; publish needs the folder.
            Assert.True(copied.Contains(project.Replace('\\', '/')), $"services/{service}/Dockerfile does not copy {project} before its restore.");
            Assert.True(copied.Contains(folder), $"services/{service}/Dockerfile does not copy {folder}/ before its publish.");
        }
    }

    [Fact]
    public void The_reference_image_the_deployer_runs_is_the_one_the_build_instructions_tag()
    {
        var deployer = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy/kubernetes/deployer.yaml")))
            .OfType<V1Deployment>().Single();
        var referenceImage = deployer.Spec.Template.Spec.Containers.Single().Env.Single(env => env.Name == "Deployer__Kubernetes__ReferenceImage").Value;
        var deployerImage = deployer.Spec.Template.Spec.Containers.Single().Image;

        var production = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs/production.md"));
        var tag = BuildLoopTag().Match(production);
        Assert.True(tag.Success, "docs/production.md no longer tags the images in its build loop.");
        Assert.Equal(tag.Groups["tag"].Value.Replace("$svc", "sample-inference", StringComparison.Ordinal), referenceImage);
        Assert.Equal(tag.Groups["tag"].Value.Replace("$svc", "deployer", StringComparison.Ordinal), deployerImage);

        var dockerfile = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "services/sample-inference/Dockerfile"));
        Assert.Contains($"-t {referenceImage} .", dockerfile, StringComparison.Ordinal);
    }

    /// <summary>The project files a service builds from, transitively, relative to the repository root.</summary>
    private static HashSet<string> ReferencedProjects(string serviceFolder)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>(Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, serviceFolder), "*.csproj"));
        while (queue.TryDequeue(out var project))
        {
            if (!seen.Add(Path.GetRelativePath(RepositoryPaths.Root, project)))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                // A reference the container build switches off (the deployer's reference server) is not needed there.
                if (reference.Attribute("Condition")?.Value.Contains("'false'", StringComparison.Ordinal) == true)
                {
                    continue;
                }

                queue.Enqueue(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, reference.Attribute("Include")!.Value)));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"^COPY\s+(?!--from)(?<source>\S+)\s+\S+\s*$", RegexOptions.Multiline)]
    private static partial Regex CopyInstruction();

    [GeneratedRegex(@"docker build -f services/\$svc/Dockerfile -t (?<tag>\S+) \.")]
    private static partial Regex BuildLoopTag();
}
