"""What a student measures and reads about a trained model: the temperature grid and its measures,
the quality-diversity comparison, the views inside a network (attention, neurons, embeddings),
the GAN's critic, the guided lessons and the set-up a page address carries."""
