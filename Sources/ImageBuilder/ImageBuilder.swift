/// Builds images from Dockerfiles: stage graph, cache keys from inputs, executor committing to the Store.
public enum ImageBuilderModule {}
