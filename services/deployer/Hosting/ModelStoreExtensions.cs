using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Models;
using ModelPlatform.Deployer.Models.Catalog;
using ModelPlatform.Deployer.Models.Files;

namespace ModelPlatform.Deployer.Hosting;

/// <summary>The model store: its files on the deployer's disk, its catalog in the runtime's store.</summary>
internal static class ModelStoreExtensions
{
    public static IServiceCollection AddModelStore(this IServiceCollection services, RuntimeKind runtime)
    {
        services.AddOptions<ModelStoreOptions>()
            .BindConfiguration(ModelStoreOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (runtime == RuntimeKind.Dapr)
        {
            services.AddSingleton<IModelCatalog, DaprModelCatalog>();
        }
        else
        {
            services.AddSingleton<IModelCatalog, SqliteModelCatalog>();
        }

        services.AddSingleton<ModelFiles>();
        services.AddSingleton<ModelStore>();
        return services;
    }
}
